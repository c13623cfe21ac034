/**
 * Incremental RIFF/WAVE reader for audio arriving through a pipe. espeak-ng writes a header with
 * placeholder sizes (0x7ffff000) because it cannot seek back on stdout, so sizes are trusted only
 * as an upper bound and samples are emitted as soon as their bytes arrive.
 */
export interface WavStreamFormat {
  sampleRate: number;
  channels: number;
}

const RIFF_HEADER_BYTES = 12;
const CHUNK_HEADER_BYTES = 8;
/** A header larger than this means we are not reading a WAV stream at all. */
const MAX_HEADER_BYTES = 64 * 1024;

export class WavStreamParser {
  format: WavStreamFormat | undefined;
  private pending: Uint8Array = new Uint8Array(0);
  private inData = false;
  private dataRemaining = 0;

  /** Feed bytes; returns the whole 16-bit samples they complete (possibly none). */
  push(bytes: Uint8Array): Int16Array {
    this.pending = concatBytes(this.pending, bytes);
    if (!this.inData && !this.readHeader()) return new Int16Array(0);
    const usable = Math.min(this.pending.byteLength, this.dataRemaining) & ~1;
    const samples = new Int16Array(usable / 2);
    const view = new DataView(this.pending.buffer, this.pending.byteOffset, usable);
    for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(i * 2, true);
    this.pending = this.pending.slice(usable);
    this.dataRemaining -= usable;
    return samples;
  }

  /** True once the header has been read. */
  get started(): boolean {
    return this.inData;
  }

  /** Returns true when the `data` chunk has been reached. Throws on anything that is not PCM16 WAV. */
  private readHeader(): boolean {
    const b = this.pending;
    if (b.byteLength < RIFF_HEADER_BYTES) return false;
    if (tag(b, 0) !== 'RIFF' || tag(b, 8) !== 'WAVE') throw new Error('output is not a RIFF/WAVE stream');
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let at = RIFF_HEADER_BYTES;
    while (at + CHUNK_HEADER_BYTES <= b.byteLength) {
      const id = tag(b, at);
      const size = view.getUint32(at + 4, true);
      const body = at + CHUNK_HEADER_BYTES;
      if (id === 'data') {
        if (!this.format) throw new Error('WAV data chunk before fmt chunk');
        this.inData = true;
        this.dataRemaining = size;
        this.pending = b.slice(body);
        return true;
      }
      if (body + size > b.byteLength) break;
      if (id === 'fmt ') {
        const encoding = view.getUint16(body, true);
        const bits = view.getUint16(body + 14, true);
        if ((encoding !== 1 && encoding !== 0xfffe) || bits !== 16)
          throw new Error(`unsupported WAV encoding ${encoding}/${bits} bits; need 16-bit PCM`);
        const channels = view.getUint16(body + 2, true);
        // Speech synthesisers write mono; interleaved stereo would play at half speed.
        if (channels !== 1) throw new Error(`unsupported WAV with ${channels} channels; need mono`);
        this.format = { channels, sampleRate: view.getUint32(body + 4, true) };
      }
      at = body + size + (size % 2);
    }
    if (b.byteLength > MAX_HEADER_BYTES) throw new Error('no WAV data chunk in the first 64 KiB');
    return false;
  }
}

function tag(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b;
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}
