import { EngineError, type EngineInfo } from '../engine.ts';
import {
  type LanguagePair,
  type MtCapabilities,
  type MtEngine,
  supportsPair,
  type TranslateRequest,
} from '../mt.ts';

/** Deterministic translator for tests: prefixes the text with `[to]`. */
export class FakeMt implements MtEngine {
  readonly info: EngineInfo = {
    id: 'fake',
    kind: 'mt',
    description: 'deterministic fake translator',
    local: true,
  };
  readonly capabilities: MtCapabilities;
  /** Languages for which `translate` throws, to exercise failure handling. */
  readonly failFor = new Set<string>();
  calls = 0;

  constructor(options: { pairs?: LanguagePair[]; delayMs?: number } = {}) {
    const langs = ['en', 'es', 'fr', 'de', 'pt', 'it', 'ca'];
    this.capabilities = {
      pairs:
        options.pairs ??
        langs.flatMap((from) => langs.filter((to) => to !== from).map((to) => ({ from, to, via: [] }))),
    };
    this.delayMs = options.delayMs ?? 0;
  }
  private readonly delayMs: number;

  async init(): Promise<void> {}
  async close(): Promise<void> {}

  async translate({ text, from, to }: TranslateRequest): Promise<string> {
    this.calls++;
    if (!supportsPair(this.capabilities, from, to))
      throw new EngineError('fake', `no pair ${from}-${to}`, false);
    if (this.failFor.has(to)) throw new EngineError('fake', `injected failure for ${to}`);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    return `[${to}] ${text}`;
  }
}
