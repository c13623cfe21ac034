/**
 * Turns the frames of listener audio packets into float samples. WebCodecs' AudioDecoder is used
 * where the browser has it (it needs a secure context); elsewhere, e.g. a phone on plain-HTTP LAN,
 * the WASM `opus-decoder` is loaded on demand. Frames whose size is exactly one frame of PCM16 are
 * raw PCM (the fake codec the server uses in tests and debugging): real Opus at speech bitrates
 * is an order of magnitude smaller, so the two cannot be confused.
 */
export type DecoderKind = 'webcodecs' | 'wasm';

export interface DecodedFrame {
  key: number;
  samples: Float32Array;
  sampleRate: number;
}

export interface FrameDecoder {
  readonly kind: DecoderKind;
  /** Decode one Opus frame; the result comes to `onFrame` with the same key, in order. */
  decode(frame: Uint8Array, key: number): void;
  /** Forget codec state (new stream after a language switch). */
  reset(): void;
  close(): void;
}

export function isRawPcmFrame(frame: Uint8Array, sampleRate: number, frameDurationMs: number): boolean {
  return frame.byteLength === ((sampleRate * frameDurationMs) / 1000) * 2;
}

export function pcm16ToFloat(frame: Uint8Array): Float32Array {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const out = new Float32Array(frame.byteLength / 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(i * 2, true) / 32768;
  return out;
}

/** Nominal frame length in µs, used to space chunk timestamps (20 ms Opus frames). */
const FRAME_US = 20_000;

const OPUS_CONFIG = { codec: 'opus', sampleRate: 24_000, numberOfChannels: 1 } as const;

async function webCodecsDecoder(onFrame: (f: DecodedFrame) => void): Promise<FrameDecoder | null> {
  if (typeof AudioDecoder === 'undefined' || !window.isSecureContext) return null;
  try {
    const support = await AudioDecoder.isConfigSupported(OPUS_CONFIG);
    if (!support.supported) return null;
  } catch {
    return null;
  }
  const make = () =>
    new AudioDecoder({
      output: (data) => {
        const samples = new Float32Array(data.numberOfFrames);
        data.copyTo(samples, { planeIndex: 0, format: 'f32-planar' });
        onFrame({ key: Math.round(data.timestamp / FRAME_US), samples, sampleRate: data.sampleRate });
        data.close();
      },
      error: () => {
        // A corrupt frame puts the decoder in the "closed" state; start a fresh one.
        decoder = make();
        decoder.configure(OPUS_CONFIG);
      },
    });
  let decoder = make();
  decoder.configure(OPUS_CONFIG);
  return {
    kind: 'webcodecs',
    decode(frame, key) {
      // The timestamp carries our key through the decoder to the output. It must advance by one
      // frame per chunk: Chromium discards output whose timestamps overlap earlier output.
      decoder.decode(
        new EncodedAudioChunk({ type: 'key', timestamp: key * FRAME_US, duration: FRAME_US, data: frame }),
      );
    },
    reset() {
      if (decoder.state !== 'closed') decoder.reset();
      else decoder = make();
      decoder.configure(OPUS_CONFIG);
    },
    close() {
      if (decoder.state !== 'closed') decoder.close();
    },
  };
}

async function wasmDecoder(onFrame: (f: DecodedFrame) => void): Promise<FrameDecoder> {
  const { OpusDecoder } = await import('opus-decoder');
  const options = {
    channels: 1,
    sampleRate: 24_000 as const,
    streamCount: 1,
    coupledStreamCount: 0,
    channelMappingTable: [0],
  };
  let decoder = new OpusDecoder(options);
  await decoder.ready;
  // While a fresh decoder compiles after a reset, frames wait here to keep their order.
  let waiting: { frame: Uint8Array; key: number }[] | null = null;
  const run = (frame: Uint8Array, key: number) => {
    const out = decoder.decodeFrame(frame);
    const samples = out.channelData[0];
    if (samples && out.samplesDecoded > 0) {
      onFrame({ key, samples: samples.slice(0, out.samplesDecoded), sampleRate: out.sampleRate });
    }
  };
  return {
    kind: 'wasm',
    decode(frame, key) {
      if (waiting) waiting.push({ frame, key });
      else run(frame, key);
    },
    reset() {
      const next = new OpusDecoder(options);
      waiting ??= [];
      void next.ready.then(() => {
        decoder.free();
        decoder = next;
        const queued = waiting ?? [];
        waiting = null;
        for (const q of queued) run(q.frame, q.key);
      });
    },
    close() {
      decoder.free();
    },
  };
}

export async function createDecoder(
  onFrame: (f: DecodedFrame) => void,
  prefer: DecoderKind | null = null,
): Promise<FrameDecoder> {
  if (prefer !== 'wasm') {
    const wc = await webCodecsDecoder(onFrame);
    if (wc) return wc;
  }
  return wasmDecoder(onFrame);
}
