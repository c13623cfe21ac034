import { existsSync } from 'node:fs';
import {
  type AsrCapabilities,
  type AsrEngine,
  type AsrFinal,
  type AsrStream,
  type AsrStreamOptions,
  EngineBase,
  EngineError,
  type EngineInfo,
  EngineUnavailableError,
  int16ToFloat32,
  StreamGuard,
} from '@babelcast/core/engines';
import { missingFiles } from './download-model.ts';
import { probeRecognizer } from './load-probe.ts';
import {
  type AsrModel,
  downloadCommand,
  findModel,
  type ModelCatalog,
  modelCatalog,
  modelFiles,
} from './model-catalog.ts';
import {
  loadSherpaFor,
  type SherpaOfflineRecognizer,
  type SherpaOnlineRecognizer,
  type SherpaOnlineStream,
} from './sherpa-addon.ts';
import { SPEAKER_SAMPLE_RATE } from '@babelcast/core/engines';

const ENGINE_ID = 'sherpa';
const SAMPLE_RATE = SPEAKER_SAMPLE_RATE;

export interface SherpaAsrOptions {
  /** Folder holding downloaded models, one sub-folder per model name. */
  modelsDir: string;
  /** A name from models.json, e.g. "sherpa-onnx-streaming-zipformer-en-2023-06-26". */
  model: string;
  /** Threads per recogniser; 1 leaves the other core to the rest of the pipeline. */
  numThreads?: number;
  catalog?: ModelCatalog;
}

/**
 * Recognition with sherpa-onnx models the operator downloaded. Streaming transducers (zipformer)
 * give partial hypotheses while the person speaks; their decoding runs synchronously inside
 * `write()`. Whisper and SenseVoice recognise each finished utterance at once (no partials), on a
 * worker thread (`decodeAsync`) so the event loop keeps going.
 *
 * No real model can be downloaded on the development machines: the tests cover the catalog, the
 * "not installed" error and the rejection of wrong model files (through the child-process probe).
 * Recognition itself follows the sherpa-onnx-node 1.13 API and its examples and is untested here.
 */
export class SherpaAsr extends EngineBase implements AsrEngine {
  readonly info: EngineInfo;
  readonly capabilities: AsrCapabilities;
  /** Undefined when the configured name is not in the catalog; init() then says so. */
  private readonly model: AsrModel | undefined;
  private readonly catalog: ModelCatalog;
  private online: SherpaOnlineRecognizer | undefined;
  private offline: SherpaOfflineRecognizer | undefined;

  constructor(private readonly options: SherpaAsrOptions) {
    super();
    this.catalog = options.catalog ?? modelCatalog();
    this.model = findModel(options.model, this.catalog);
    this.info = {
      id: ENGINE_ID,
      kind: 'asr',
      description: `sherpa-onnx ${options.model} (${this.model?.kind ?? 'unknown model'})`,
      local: true,
    };
    this.capabilities = {
      languages: [...(this.model?.languages ?? [])],
      streaming: this.model?.kind === 'online-transducer',
      // Whisper and SenseVoice write cased, punctuated text; the transducers here emit bare words.
      punctuated: this.model !== undefined && this.model.kind !== 'online-transducer',
    };
  }

  protected async start(): Promise<void> {
    const model = this.installedModel();
    const sherpa = loadSherpaFor(ENGINE_ID);
    const online = model.kind === 'online-transducer';
    const config = recognizerConfig(
      model,
      modelFiles(this.options.modelsDir, model),
      this.options.numThreads ?? 1,
    );
    const reinstall = `re-download it with: ${downloadCommand(model.name)}`;
    const probe = await probeRecognizer(online ? 'online' : 'offline', config);
    if (!probe.ok) {
      throw new EngineUnavailableError(
        ENGINE_ID,
        `sherpa-onnx cannot load ${model.name} from ${this.options.modelsDir} (${probe.detail}); ${reinstall}`,
      );
    }
    try {
      if (online) this.online = new sherpa.OnlineRecognizer(config);
      else this.offline = await sherpa.OfflineRecognizer.createAsync(config);
    } catch (cause) {
      throw new EngineUnavailableError(ENGINE_ID, `sherpa-onnx could not load ${model.name}; ${reinstall}`, {
        cause,
      });
    }
  }

  /** The configured model, when the catalog knows it and all its files are downloaded. */
  private installedModel(): AsrModel {
    const model = this.model;
    if (!model) {
      throw new EngineUnavailableError(
        ENGINE_ID,
        `unknown model "${this.options.model}"; known: ${this.catalog.models.map((m) => m.name).join(', ')}`,
      );
    }
    const missing = missingFiles(this.options.modelsDir, model);
    if (missing.length > 0) {
      throw new EngineUnavailableError(
        ENGINE_ID,
        `model ${model.name} is not installed in ${this.options.modelsDir} (missing ${missing.join(', ')}); ` +
          `download it with: ${downloadCommand(model.name)}`,
      );
    }
    return model;
  }

  protected async stop(): Promise<void> {
    // The addon frees native recognisers when they are garbage-collected; dropping them is enough.
    this.online = undefined;
    this.offline = undefined;
  }

  createStream(options: AsrStreamOptions): AsrStream {
    this.assertOpen();
    if (!this.capabilities.languages.includes(options.language)) {
      throw new EngineError(
        ENGINE_ID,
        `${this.options.model} does not recognise "${options.language}"`,
        false,
      );
    }
    if (this.online) return new OnlineTransducerStream(this.online, options);
    return new OfflineUtteranceStream(
      this.offline!,
      `${this.options.model} failed on an utterance (${options.language})`,
    );
  }
}

/** The recogniser config sherpa-onnx-node 1.13 takes for each kind of model in the catalog. */
function recognizerConfig(
  model: AsrModel,
  files: Record<string, string>,
  numThreads: number,
): Record<string, unknown> {
  const featConfig = { sampleRate: SAMPLE_RATE, featureDim: 80 };
  const common = { tokens: files.tokens, numThreads, provider: 'cpu', debug: 0 };
  if (model.kind === 'online-transducer') {
    return {
      featConfig,
      modelConfig: {
        transducer: { encoder: files.encoder, decoder: files.decoder, joiner: files.joiner },
        ...common,
      },
      decodingMethod: 'greedy_search',
      // The pipeline's VAD decides where utterances end.
      enableEndpoint: 0,
    };
  }
  const recognizer =
    model.kind === 'offline-whisper'
      ? { whisper: { encoder: files.encoder, decoder: files.decoder, task: 'transcribe', tailPaddings: -1 } }
      : { senseVoice: { model: files.model, useInverseTextNormalization: 1 } };
  return { featConfig, modelConfig: { ...recognizer, ...common } };
}

class OnlineTransducerStream implements AsrStream {
  private stream: SherpaOnlineStream;
  private lastInterim = '';
  /** Samples written in the current utterance, for event spans. */
  private written = 0;
  private readonly guard = new StreamGuard(ENGINE_ID);

  constructor(
    private readonly recognizer: SherpaOnlineRecognizer,
    private readonly options: AsrStreamOptions,
  ) {
    this.stream = recognizer.createStream();
  }

  write(samples: Int16Array): void {
    this.guard.assertOpen('write');
    this.stream.acceptWaveform({ samples: int16ToFloat32(samples), sampleRate: SAMPLE_RATE });
    this.written += samples.length;
    this.decodeReady();
    const text = this.recognizer.getResult(this.stream).text.trim().toLowerCase();
    if (text !== '' && text !== this.lastInterim) {
      this.lastInterim = text;
      // No word times here: the transducer's token timestamps are not exposed per word by this binding.
      const endMs = Math.round((this.written * 1000) / SAMPLE_RATE);
      this.options.onEvent?.({ type: 'interim', text, startMs: 0, endMs });
    }
  }

  private decodeReady(): void {
    try {
      while (this.recognizer.isReady(this.stream)) this.recognizer.decode(this.stream);
    } catch (cause) {
      throw new EngineError(ENGINE_ID, 'decoding failed', true, { cause });
    }
  }

  async finishUtterance(): Promise<AsrFinal> {
    this.guard.assertOpen('finishUtterance');
    // Trailing silence pushes the last frames through the encoder's look-ahead.
    this.stream.acceptWaveform({ samples: new Float32Array(SAMPLE_RATE * 0.3), sampleRate: SAMPLE_RATE });
    this.decodeReady();
    // Upstream models emit upper-case BPE text; Babelcast's unpunctuated path expects lowercase.
    const text = this.recognizer.getResult(this.stream).text.trim().toLowerCase();
    this.recognizer.reset(this.stream);
    this.lastInterim = '';
    const endMs = Math.round((this.written * 1000) / SAMPLE_RATE);
    this.written = 0;
    return { type: 'final', text, startMs: 0, endMs };
  }

  close(): void {
    this.guard.close();
  }
}

class OfflineUtteranceStream implements AsrStream {
  private chunks: Int16Array[] = [];
  private readonly guard = new StreamGuard(ENGINE_ID);

  /** `failure` names the model and language when an utterance cannot be recognised. */
  constructor(
    private readonly recognizer: SherpaOfflineRecognizer,
    private readonly failure: string,
  ) {}

  write(samples: Int16Array): void {
    this.guard.assertOpen('write');
    this.chunks.push(samples.slice());
  }

  async finishUtterance(): Promise<AsrFinal> {
    this.guard.assertOpen('finishUtterance');
    const length = this.chunks.reduce((n, c) => n + c.length, 0);
    const audio = new Float32Array(length);
    let at = 0;
    for (const c of this.chunks) {
      audio.set(int16ToFloat32(c), at);
      at += c.length;
    }
    this.chunks = [];
    const endMs = Math.round((length * 1000) / SAMPLE_RATE);
    if (length === 0) return { type: 'final', text: '', startMs: 0, endMs };
    const stream = this.recognizer.createStream();
    stream.acceptWaveform({ samples: audio, sampleRate: SAMPLE_RATE });
    try {
      const result = await this.recognizer.decodeAsync(stream);
      return { type: 'final', text: result.text.trim(), startMs: 0, endMs };
    } catch (cause) {
      throw new EngineError(ENGINE_ID, this.failure, true, { cause });
    }
  }

  close(): void {
    this.guard.close();
    this.chunks = [];
  }
}

/** True when `<modelsDir>/<name>` holds every file the model needs. */
export function isModelInstalled(modelsDir: string, name: string, catalog?: ModelCatalog): boolean {
  const model = findModel(name, catalog);
  return model !== undefined && existsSync(modelsDir) && missingFiles(modelsDir, model).length === 0;
}
