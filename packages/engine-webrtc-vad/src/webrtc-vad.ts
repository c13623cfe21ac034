import {
  EngineBase,
  EngineError,
  type EngineInfo,
  EngineUnavailableError,
  float32ToInt16,
  guardedVadStream,
  type VadCapabilities,
  type VadEngine,
  type VadStream,
} from '@babelcast/core/engines';
import { SPEAKER_SAMPLE_RATE } from '@babelcast/core/engines';

const ENGINE_ID = 'webrtc';

/** libfvad's exports as the Emscripten module of `@echogarden/fvad-wasm` exposes them. */
interface FvadModule {
  _fvad_new(): number;
  _fvad_free(inst: number): void;
  _fvad_reset(inst: number): void;
  _fvad_set_mode(inst: number, mode: number): number;
  _fvad_set_sample_rate(inst: number, rate: number): number;
  _fvad_process(inst: number, frame: number, length: number): number;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  HEAP16: Int16Array;
}

export interface WebRtcVadOptions {
  /** 0 (most permissive, least likely to cut speech) … 3 (most aggressive noise rejection). Default 2. */
  aggressiveness?: 0 | 1 | 2 | 3;
  /** 10, 20 or 30 ms. Default 30 ms (480 samples): fewest calls, same decisions. */
  frameMs?: 10 | 20 | 30;
}

/**
 * The WebRTC voice activity detector (libfvad compiled to WASM): a Gaussian-mixture classifier,
 * no model file, tiny and fast, but fooled by music and steady noise more than Silero. Its answer
 * per frame is yes/no, reported as 1 or 0.
 */
export class WebRtcVad extends EngineBase implements VadEngine {
  readonly info: EngineInfo = {
    id: ENGINE_ID,
    kind: 'vad',
    description: 'WebRTC VAD (libfvad, WASM)',
    local: true,
  };
  readonly capabilities: VadCapabilities;
  private module: FvadModule | undefined;
  private readonly streams = new Set<VadStream>();

  constructor(private readonly options: WebRtcVadOptions = {}) {
    super();
    const frameMs = options.frameMs ?? 30;
    if (![10, 20, 30].includes(frameMs)) throw new RangeError('WebRTC VAD frames are 10, 20 or 30 ms');
    this.capabilities = {
      sampleRate: SPEAKER_SAMPLE_RATE,
      frameSamples: (SPEAKER_SAMPLE_RATE * frameMs) / 1000,
    };
  }

  protected async start(): Promise<void> {
    try {
      const factory = (await import('@echogarden/fvad-wasm')).default as () => Promise<FvadModule>;
      this.module = await factory();
    } catch (cause) {
      throw new EngineUnavailableError(
        ENGINE_ID,
        'the npm package @echogarden/fvad-wasm failed to load; run npm install',
        {
          cause,
        },
      );
    }
  }

  protected async stop(): Promise<void> {
    for (const s of [...this.streams]) s.close();
    this.module = undefined;
  }

  createStream(): VadStream {
    this.assertOpen();
    const m = this.module!;
    const n = this.capabilities.frameSamples;
    const inst = m._fvad_new();
    const buffer = m._malloc(n * 2);
    if (!inst || !buffer) {
      if (inst) m._fvad_free(inst);
      if (buffer) m._free(buffer);
      throw new EngineError(ENGINE_ID, 'out of WASM memory', false);
    }
    const configure = () => {
      if (
        m._fvad_set_sample_rate(inst, SPEAKER_SAMPLE_RATE) < 0 ||
        m._fvad_set_mode(inst, this.options.aggressiveness ?? 2) < 0
      ) {
        throw new EngineError(ENGINE_ID, 'libfvad rejected the sample rate or mode', false);
      }
    };
    configure();
    const stream = guardedVadStream(ENGINE_ID, n, {
      process: (frame) => {
        // HEAP16 is replaced when WASM memory grows, so look it up on every call.
        m.HEAP16.set(float32ToInt16(frame), buffer >> 1);
        const verdict = m._fvad_process(inst, buffer, n);
        if (verdict < 0) throw new EngineError(ENGINE_ID, 'libfvad rejected the frame');
        return verdict;
      },
      reset: () => {
        m._fvad_reset(inst);
        configure();
      },
      release: () => {
        m._fvad_free(inst);
        m._free(buffer);
        this.streams.delete(stream);
      },
    });
    this.streams.add(stream);
    return stream;
  }
}
