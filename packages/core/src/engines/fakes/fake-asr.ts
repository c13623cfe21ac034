import type { AsrCapabilities, AsrEngine, AsrFinal, AsrStream, AsrStreamOptions, AsrWord } from '../asr.ts';
import type { EngineInfo } from '../engine.ts';
import { SPEAKER_SAMPLE_RATE } from '@babelcast/protocol';

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

  constructor(
    private readonly options: {
      languages?: string[];
      msPerWord?: number;
      /** Wait this long before each final: a recogniser slower than the audio arrives. */
      finishDelayMs?: number;
    } = {},
  ) {
    this.capabilities = {
      languages: options.languages ?? ['en', 'es', 'fr', 'de', 'pt'],
      streaming: true,
      punctuated: false,
    };
  }

  async init(): Promise<void> {}
  async close(): Promise<void> {}

  createStream(options: AsrStreamOptions): AsrStream {
    const samplesPerWord = ((this.options.msPerWord ?? 400) * SPEAKER_SAMPLE_RATE) / 1000;
    let samples = 0;
    let written = 0;
    let words = 0;
    let closed = false;
    const msOf = (n: number) => Math.round((n * 1000) / SPEAKER_SAMPLE_RATE);
    const wordList = (n: number): AsrWord[] =>
      Array.from({ length: n }, (_, i) => ({
        word: i < WORDS.length ? WORDS[i]! : `x${i + 1}`,
        // Word i ends once i+1 words' worth of audible audio was heard (silence is not counted,
        // so these times are approximate when the audio has pauses: good enough for tests).
        startMs: msOf(i * samplesPerWord),
        endMs: msOf((i + 1) * samplesPerWord),
      }));
    return {
      write: (chunk) => {
        if (closed) throw new Error('stream closed');
        written += chunk.length;
        // Count only audible samples so silence yields no words, as a real recogniser would.
        for (let i = 0; i < chunk.length; i++) if (Math.abs(chunk[i]!) > 50) samples++;
        const now = Math.floor(samples / samplesPerWord);
        if (now > words) {
          words = now;
          const list = wordList(Math.min(words, WORDS.length));
          options.onEvent?.({
            type: 'interim',
            text: list.map((w) => w.word).join(' '),
            words: list,
            startMs: 0,
            endMs: msOf(written),
          });
        }
      },
      finishUtterance: async (): Promise<AsrFinal> => {
        const delay = this.options.finishDelayMs ?? 0;
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
        const n = Math.max(0, Math.min(Math.round(samples / samplesPerWord), WORDS.length));
        const endMs = msOf(written);
        samples = 0;
        words = 0;
        written = 0;
        const list = wordList(n);
        return { type: 'final', text: list.map((w) => w.word).join(' '), words: list, startMs: 0, endMs };
      },
      close: () => {
        closed = true;
      },
    };
  }
}
