import { concatInt16, StreamGuard } from '@babelcast/core/engines';
import type { OpusSampleRate } from './opus-codec.ts';
import { bytesToInt16, loadOpusScript, type OpusScriptInstance } from './opusscript-module.ts';

/**
 * Decodes Opus packets back to PCM, for tests and tools that must check what a listener actually
 * hears (end-to-end tests, the replay client). Not used on the server's hot path.
 */
export class OpusPacketDecoder {
  private readonly handle: OpusScriptInstance;
  private readonly guard = new StreamGuard('opus');

  constructor(readonly sampleRate: OpusSampleRate = 24000) {
    const OpusScript = loadOpusScript('opus');
    this.handle = new OpusScript(sampleRate, 1);
  }

  /** One packet → its mono samples (20 ms at 24 kHz = 480 samples). */
  decode(packet: Uint8Array): Int16Array {
    this.guard.assertOpen('decode');
    return bytesToInt16(this.handle.decode(Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength)));
  }

  /** Many packets → one contiguous signal. */
  decodeAll(packets: Iterable<Uint8Array>): Int16Array {
    return concatInt16(Array.from(packets, (p) => this.decode(p)));
  }

  close(): void {
    if (this.guard.close()) this.handle.delete();
  }
}
