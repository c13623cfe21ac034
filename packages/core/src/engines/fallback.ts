/**
 * A translator with a second one behind it (for example Amazon Translate, then Apertium on this
 * machine): when the first cannot start, does not serve a pair, or fails on a sentence, the
 * second translates it, and the switch is reported (a metric) so that an operator sees a cloud
 * outage as more fallbacks rather than as missing captions.
 */
import { EngineError, type EngineInfo } from './engine.ts';
import {
  type LanguagePair,
  type MtCapabilities,
  type MtEngine,
  supportsPair,
  type TranslateRequest,
} from './mt.ts';

export interface FallbackEvent {
  kind: 'mt';
  /** Engine ids: the one that could not, and the one that did instead. */
  from: string;
  to: string;
  /** Why: the first engine failed to start, does not serve the pair, or failed on this request. */
  reason: 'unavailable' | 'unsupported' | 'failed';
}

export interface FallbackOptions {
  onFallback?: (event: FallbackEvent) => void;
}

export class FallbackMt implements MtEngine {
  readonly info: EngineInfo;
  readonly capabilities: MtCapabilities = { pairs: [] };
  private primaryUp = false;
  private fallbackUp = false;

  constructor(
    private readonly primary: MtEngine,
    private readonly fallback: MtEngine,
    private readonly options: FallbackOptions = {},
  ) {
    this.info = {
      id: `${primary.info.id}+${fallback.info.id}`,
      kind: 'mt',
      description: `${primary.info.description}, falling back to ${fallback.info.description}`,
      local: primary.info.local && fallback.info.local,
    };
  }

  /** Starts both; usable when either starts (fails with the first one's error when neither does). */
  async init(): Promise<void> {
    const [p, f] = await Promise.allSettled([this.primary.init(), this.fallback.init()]);
    this.primaryUp = p.status === 'fulfilled';
    this.fallbackUp = f.status === 'fulfilled';
    if (!this.primaryUp && !this.fallbackUp) throw (p as PromiseRejectedResult).reason;
    const pairs: LanguagePair[] = this.primaryUp ? [...this.primary.capabilities.pairs] : [];
    if (this.fallbackUp)
      for (const pair of this.fallback.capabilities.pairs)
        if (!supportsPair({ pairs }, pair.from, pair.to)) pairs.push(pair);
    this.capabilities.pairs = pairs;
  }

  async close(): Promise<void> {
    await Promise.all([this.primary.close(), this.fallback.close()]);
  }

  async translate(request: TranslateRequest): Promise<string> {
    const { from, to } = request;
    const primaryServes = this.primaryUp && supportsPair(this.primary.capabilities, from, to) !== undefined;
    const fallbackServes =
      this.fallbackUp && supportsPair(this.fallback.capabilities, from, to) !== undefined;
    if (primaryServes) {
      try {
        return await this.primary.translate(request);
      } catch (err) {
        if (!fallbackServes || !(err instanceof EngineError) || request.signal?.aborted) throw err;
        return this.viaFallback(request, 'failed');
      }
    }
    if (fallbackServes) return this.viaFallback(request, this.primaryUp ? 'unsupported' : 'unavailable');
    throw new EngineError(this.info.id, `no pair ${from}→${to}`, false);
  }

  private viaFallback(request: TranslateRequest, reason: FallbackEvent['reason']): Promise<string> {
    this.options.onFallback?.({ kind: 'mt', from: this.primary.info.id, to: this.fallback.info.id, reason });
    return this.fallback.translate(request);
  }
}
