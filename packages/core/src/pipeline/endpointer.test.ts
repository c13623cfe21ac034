import { describe, expect, it } from 'vitest';
import type { VadStream } from '../engines/vad.ts';
import { type EndpointEvent, Endpointer } from './endpointer.ts';
import { DEFAULT_ENDPOINTING } from './tuning.ts';

/** A VAD that calls a frame speech when its first sample is non-zero. */
const markerVad: VadStream = { process: (f) => (f[0] !== 0 ? 1 : 0), reset() {}, close() {} };

function run(pattern: Array<[speech: boolean, ms: number]>, options = {}) {
  const ep = new Endpointer(markerVad, {
    ...DEFAULT_ENDPOINTING,
    frameSamples: 320,
    sampleRate: 16000,
    ...options,
  });
  const events: EndpointEvent[] = [];
  for (const [speech, ms] of pattern) {
    const samples = new Int16Array((ms * 16000) / 1000).fill(speech ? 1000 : 0);
    events.push(...ep.push(samples));
  }
  events.push(...ep.flush());
  return events
    .filter((e) => e.type !== 'audio')
    .map((e) => `${e.type}@${Math.round(e.atSample / 16)}${e.type === 'end' && e.forced ? '!' : ''}`);
}

describe('Endpointer', () => {
  it('closes an utterance after the configured silence, keeping a pre-roll', () => {
    expect(
      run(
        [
          [false, 1000],
          [true, 2000],
          [false, 1000],
        ],
        { silenceMs: 500 },
      ),
    ).toEqual(['start@800', 'end@3500']);
  });

  it('does not split on pauses shorter than the silence window', () => {
    expect(
      run(
        [
          [true, 1000],
          [false, 300],
          [true, 1000],
          [false, 1000],
        ],
        { silenceMs: 500 },
      ),
    ).toEqual(['start@0', 'end@2800']);
  });

  it('forces a split in run-on speech so captions keep coming', () => {
    expect(
      run(
        [
          [true, 25_000],
          [false, 1000],
        ],
        { maxUtteranceMs: 10_000 },
      ),
    ).toEqual(['start@0', 'end@10000!', 'start@10000', 'end@20000!', 'start@20000', 'end@25500']);
  });

  it('ignores clicks shorter than the minimum speech length', () => {
    expect(
      run([
        [false, 500],
        [true, 60],
        [false, 2000],
      ]),
    ).toEqual([]);
  });

  it('closes an open utterance on flush (speaker paused mid-sentence)', () => {
    expect(run([[true, 1500]])).toEqual(['start@0', 'end@1500']);
  });
});
