/** Reads a PCM16 WAV (the shared speech clips) as floats, without depending on other packages. */
import { readFileSync } from 'node:fs';

export function readWavFloat(path: string): { samples: Float32Array; sampleRate: number } {
  const buf = readFileSync(path);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 12;
  let sampleRate = 0;
  let channels = 1;
  while (at + 8 <= buf.byteLength) {
    const id = buf.toString('ascii', at, at + 4);
    const size = view.getUint32(at + 4, true);
    if (id === 'fmt ') {
      channels = view.getUint16(at + 10, true);
      sampleRate = view.getUint32(at + 12, true);
    } else if (id === 'data') {
      const n = Math.floor(Math.min(size, buf.byteLength - at - 8) / 2 / channels);
      const samples = new Float32Array(n);
      for (let i = 0; i < n; i++) samples[i] = view.getInt16(at + 8 + i * 2 * channels, true) / 32768;
      return { samples, sampleRate };
    }
    at += 8 + size + (size % 2);
  }
  throw new Error(`no data chunk in ${path}`);
}
