import { describe, expect, it } from 'vitest';
import { InputGain } from './input-gain.ts';

function tone(amplitude: number, samples: number): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) => Math.round(amplitude * Math.sin(i / 5)));
}

function rms(x: Int16Array): number {
  return Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
}

describe('InputGain', () => {
  it('brings quiet speech-level input up to the target level', () => {
    const out = new InputGain({ targetRms: 3000 }).process(tone(100, 16000));
    expect(rms(out.subarray(8000))).toBeGreaterThan(2500);
    expect(rms(out.subarray(8000))).toBeLessThan(3500);
  });

  it('never amplifies loud input nor clips it', () => {
    const input = tone(20000, 16000);
    const out = new InputGain().process(input);
    expect(out).toEqual(input);
  });

  it('drops the gain at once when a louder passage follows a quiet one', () => {
    const gain = new InputGain({ targetRms: 3000 });
    gain.process(tone(100, 16000));
    const loud = gain.process(tone(10000, 1600));
    expect(Math.max(...loud.map(Math.abs))).toBeLessThan(32767);
  });

  it('keeps digital silence silent and leaves its input untouched', () => {
    const input = tone(100, 320);
    const copy = input.slice();
    new InputGain().process(input);
    expect(input).toEqual(copy);
    expect(new InputGain().process(new Int16Array(480)).every((v) => v === 0)).toBe(true);
  });
});
