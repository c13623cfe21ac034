import {
  type AudioEncoderEngine,
  type AudioFrameEncoder,
  type CodecCapabilities,
  EngineBase,
  EngineError,
  type EngineInfo,
  frameSamples,
  StreamGuard,
} from '@babelcast/core/engines';
import {
  int16ToBytes,
  loadOpusScript,
  OPUS_SET_COMPLEXITY_REQUEST,
  OPUS_SET_SIGNAL_REQUEST,
  OPUS_SIGNAL_VOICE,
  type OpusScriptClass,
} from './opusscript-module.ts';

export type OpusApplicationName = 'voip' | 'audio';
export type OpusSampleRate = 8000 | 12000 | 16000 | 24000 | 48000;

export interface OpusCodecOptions {
  /** Opus accepts 8, 12, 16, 24 or 48 kHz. 24 kHz keeps the full band of every TTS voice (≤ 22.05 kHz). */
  sampleRate?: OpusSampleRate;
  /** 10, 20, 40 or 60 ms. 20 ms is the usual trade-off between per-packet overhead and latency. */
  frameDurationMs?: 10 | 20 | 40 | 60;
  /** Bits per second; ~24 kbit/s is transparent enough for synthetic speech. */
  bitrate?: number;
  /** 0–10; 5 costs about half of 10 and sounds the same on speech. */
  complexity?: number;
  /**
   * 'voip' (default): everything we encode is speech from a TTS voice, and the VOIP mode tunes
   * libopus for intelligibility at low bitrates (speech-optimised SILK/hybrid layers, high-pass
   * filter). 'audio' favours fidelity for music and is wasted bits here.
   */
  application?: OpusApplicationName;
}

const APPLICATIONS: Record<OpusApplicationName, number> = { voip: 2048, audio: 2049 };

/** Opus encoder (libopus 1.x in WASM through `opusscript`): one stateful encoder per language track. */
export class OpusCodec extends EngineBase implements AudioEncoderEngine {
  readonly info: EngineInfo = {
    id: 'opus',
    kind: 'codec',
    description: 'Opus via opusscript (libopus WASM)',
    local: true,
  };
  readonly capabilities: CodecCapabilities;
  private readonly sampleRate: OpusSampleRate;
  private readonly bitrate: number;
  private readonly complexity: number;
  private readonly application: OpusApplicationName;
  private OpusScript: OpusScriptClass | undefined;
  private readonly open = new Set<AudioFrameEncoder>();

  constructor(options: OpusCodecOptions = {}) {
    super();
    this.sampleRate = options.sampleRate ?? 24000;
    this.capabilities = {
      codec: 'opus',
      sampleRate: this.sampleRate,
      frameDurationMs: options.frameDurationMs ?? 20,
      channels: 1,
    };
    this.bitrate = options.bitrate ?? 24000;
    this.complexity = options.complexity ?? 5;
    this.application = options.application ?? 'voip';
    if (!Number.isInteger(this.complexity) || this.complexity < 0 || this.complexity > 10)
      throw new RangeError(`complexity must be an integer 0–10, got ${this.complexity}`);
    if (![10, 20, 40, 60].includes(this.capabilities.frameDurationMs))
      throw new RangeError(
        `frameDurationMs must be 10, 20, 40 or 60, got ${this.capabilities.frameDurationMs}`,
      );
  }

  protected async start(): Promise<void> {
    this.OpusScript = loadOpusScript(this.info.id);
  }

  protected async stop(): Promise<void> {
    for (const encoder of [...this.open]) encoder.close();
  }

  createEncoder(): AudioFrameEncoder {
    this.assertOpen();
    const handle = new this.OpusScript!(
      this.sampleRate,
      1,
      APPLICATIONS[this.application] as OpusScriptClass['Application']['VOIP'],
    );
    handle.setBitrate(this.bitrate);
    handle.encoderCTL(OPUS_SET_COMPLEXITY_REQUEST, this.complexity);
    if (this.application === 'voip') handle.encoderCTL(OPUS_SET_SIGNAL_REQUEST, OPUS_SIGNAL_VOICE);
    const expected = frameSamples(this.capabilities);
    const id = this.info.id;
    const guard = new StreamGuard(id);
    const encoder: AudioFrameEncoder = {
      encodeFrame: (pcm: Int16Array): Uint8Array => {
        guard.assertOpen('encodeFrame');
        if (pcm.length !== expected) throw new RangeError(`expected ${expected} samples, got ${pcm.length}`);
        try {
          // Copy out of the Buffer: callers keep packets while the next frame is encoded.
          return new Uint8Array(handle.encode(int16ToBytes(pcm), expected));
        } catch (cause) {
          throw new EngineError(id, `libopus failed to encode a frame: ${String(cause)}`, true, { cause });
        }
      },
      close: () => {
        if (!guard.close()) return;
        this.open.delete(encoder);
        handle.delete();
      },
    };
    this.open.add(encoder);
    return encoder;
  }
}
