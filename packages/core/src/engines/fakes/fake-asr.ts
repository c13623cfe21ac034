import type { AsrCapabilities, AsrEngine, AsrResult, AsrStream, AsrStreamOptions } from '../asr.ts';
import type { EngineInfo } from '../engine.ts';

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];

/**
 * Deterministic recogniser for tests: one word per `msPerWord` of audible audio, cycling through the NATO
 * alphabet, with a partial each time a word is added. Same audible audio length → same text.
 */
export class FakeAsr implements AsrEngine {
  readonly info: EngineInfo = {
    id: 'fake',
    kind: 'asr',
    description: 'deterministic fake recogniser',
    local: true,
  };
  readonly capabilities: AsrCapabilities;

  constructor(private readonly options: { languages?: string[]; msPerWord?: number } = {}) {
    this.capabilities = {
      languages: options.languages ?? ['en', 'es', 'fr', 'de', 'pt'],
      streaming: true,
      punctuated: false,
    };
  }

  async init(): Promise<void> {}
  async close(): Promise<void> {}

  createStream(options: AsrStreamOptions): AsrStream {
    const samplesPerWord = ((this.options.msPerWord ?? 400) * 16000) / 1000;
    let samples = 0;
    let words = 0;
    let closed = false;
    const text = (n: number) =>
      WORDS.slice(0, n)
        .concat(n > WORDS.length ? [`x${n}`] : [])
        .join(' ');
    return {
      write: (chunk) => {
        if (closed) throw new Error('stream closed');
        // Count only audible samples so silence yields no words, as a real recogniser would.
        for (let i = 0; i < chunk.length; i++) if (Math.abs(chunk[i]!) > 50) samples++;
        const now = Math.floor(samples / samplesPerWord);
        if (now > words) {
          words = now;
          options.onPartial?.(text(Math.min(words, WORDS.length)));
        }
      },
      finishUtterance: async (): Promise<AsrResult> => {
        const n = Math.max(0, Math.min(Math.round(samples / samplesPerWord), WORDS.length));
        samples = 0;
        words = 0;
        return { text: text(n) };
      },
      close: () => {
        closed = true;
      },
    };
  }
}
