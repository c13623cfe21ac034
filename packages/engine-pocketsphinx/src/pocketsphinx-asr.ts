import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AsrCapabilities,
  type AsrEngine,
  type AsrEvent,
  type AsrFinal,
  type AsrStream,
  type AsrStreamOptions,
  type AsrWord,
  EngineBase,
  EngineError,
  type EngineInfo,
  EngineUnavailableError,
  StreamGuard,
} from '@babelcast/core/engines';
import { hypothesisText, spokenWord } from './hypothesis-words.ts';
import { InputGain, type InputGainOptions } from './input-gain.ts';
import {
  bindPocketsphinx,
  type KoffiModule,
  type NativePointer,
  type PocketsphinxLibrary,
} from './native-library.ts';
import { SPEAKER_SAMPLE_RATE } from '@babelcast/core/engines';

const ENGINE_ID = 'pocketsphinx';
const INSTALL_HINT = 'install the Debian packages: apt-get install pocketsphinx-en-us libpocketsphinx3';
const SAMPLE_RATE = SPEAKER_SAMPLE_RATE;

export interface PocketsphinxAsrOptions {
  /** Folder holding the acoustic model, language model and dictionary (Debian's en-us by default). */
  modelDir?: string;
  /** Acoustic model folder; default `<modelDir>/en-us`. */
  acousticModel?: string;
  /** Binary or ARPA n-gram language model; default `<modelDir>/en-us.lm.bin`. */
  languageModel?: string;
  /** Pronunciation dictionary; default `<modelDir>/cmudict-en-us.dict`. */
  dictionary?: string;
  libpocketsphinx?: string;
  libsphinxbase?: string;
  /**
   * At most one partial per this much audio. The hypothesis is cheap to read but every partial is a
   * caption update fanned out to all listeners, and pocketsphinx revises its guess every frame.
   */
  partialIntervalMs?: number;
  /** Further decoder flags, e.g. `{ '-beam': '1e-60' }`. */
  extraArgs?: Record<string, string>;
  /** Automatic input gain (see InputGain); `false` feeds samples unchanged. */
  inputGain?: InputGainOptions | false;
}

const DEFAULTS = {
  modelDir: '/usr/share/pocketsphinx/model/en-us',
  libpocketsphinx: '/usr/lib/x86_64-linux-gnu/libpocketsphinx.so.3',
  libsphinxbase: '/usr/lib/x86_64-linux-gnu/libsphinxbase.so.3',
  partialIntervalMs: 200,
};

/**
 * English streaming recognition with CMU pocketsphinx (Debian's libpocketsphinx3 + the en-us
 * model), the recogniser that works out of the box. Output is lowercase and unpunctuated.
 *
 * The C calls run synchronously on the event loop: about 0.18 s of CPU per second of audio, spread
 * over small `write` calls. That is accepted for now; koffi's `.async` calls (worker threads) would
 * move it off the loop at the cost of queuing writes, if a server with many speakers needs it.
 *
 * Each stream owns a fresh decoder (≈95 MB, ≈0.25 s to load). Decoders are not reused: the live
 * cepstral normalisation carries the last speaker's level into the next stream, and on the dev clips
 * that cost more accuracy than the load time is worth. init() loads the first one, so a broken model
 * fails there and the first session starts without the wait.
 */
export class PocketsphinxAsr extends EngineBase implements AsrEngine {
  readonly info: EngineInfo = {
    id: ENGINE_ID,
    kind: 'asr',
    description: 'CMU pocketsphinx 5prealpha (Debian), US English, streaming',
    local: true,
  };
  readonly capabilities: AsrCapabilities = { languages: ['en'], streaming: true, punctuated: false };

  private readonly files: { acousticModel: string; languageModel: string; dictionary: string };
  private readonly libraries: { pocketsphinx: string; sphinxbase: string };
  private lib: PocketsphinxLibrary | undefined;
  private config: NativePointer | undefined;
  private frameMs = 10;
  private spareDecoder: NativePointer | undefined;
  private readonly openStreams = new Set<PocketsphinxStream>();

  constructor(private readonly options: PocketsphinxAsrOptions = {}) {
    super();
    const modelDir = options.modelDir ?? DEFAULTS.modelDir;
    this.files = {
      acousticModel: options.acousticModel ?? join(modelDir, 'en-us'),
      languageModel: options.languageModel ?? join(modelDir, 'en-us.lm.bin'),
      dictionary: options.dictionary ?? join(modelDir, 'cmudict-en-us.dict'),
    };
    this.libraries = {
      pocketsphinx: options.libpocketsphinx ?? DEFAULTS.libpocketsphinx,
      sphinxbase: options.libsphinxbase ?? DEFAULTS.libsphinxbase,
    };
  }

  protected async start(): Promise<void> {
    for (const [what, path] of [
      ['libpocketsphinx', this.libraries.pocketsphinx],
      ['libsphinxbase', this.libraries.sphinxbase],
      ['acoustic model', this.files.acousticModel],
      ['language model', this.files.languageModel],
      ['dictionary', this.files.dictionary],
    ] as const) {
      if (!existsSync(path))
        throw new EngineUnavailableError(ENGINE_ID, `${what} not found at ${path}; ${INSTALL_HINT}`);
    }
    let koffi: KoffiModule;
    try {
      koffi = (await import('koffi')).default;
    } catch (cause) {
      throw new EngineUnavailableError(
        ENGINE_ID,
        'the npm package koffi (FFI) failed to load; run npm install',
        {
          cause,
        },
      );
    }
    let lib: PocketsphinxLibrary;
    try {
      lib = bindPocketsphinx(koffi, this.libraries);
    } catch (cause) {
      throw new EngineUnavailableError(
        ENGINE_ID,
        `cannot load the pocketsphinx libraries (${String(cause)}); ${INSTALL_HINT}`,
        {
          cause,
        },
      );
    }
    const args: Array<[string, string]> = [
      ['-hmm', this.files.acousticModel],
      ['-lm', this.files.languageModel],
      ['-dict', this.files.dictionary],
      // The decoder logs its whole configuration and per-utterance statistics to stderr otherwise.
      ['-logfn', '/dev/null'],
      ...Object.entries(this.options.extraArgs ?? {}),
    ];
    const config = lib.createConfig(args);
    if (!config) {
      throw new EngineUnavailableError(
        ENGINE_ID,
        `pocketsphinx rejected its arguments: ${args.map((a) => a[0]).join(' ')}`,
      );
    }
    this.lib = lib;
    this.config = config;
    this.frameMs = 1000 / (lib.configInt(config, '-frate') || 100);
    try {
      this.spareDecoder = this.newDecoder(true);
    } catch (err) {
      // A failed start is not followed by stop(): free the config here.
      await this.stop();
      throw err;
    }
  }

  protected async stop(): Promise<void> {
    for (const stream of [...this.openStreams]) stream.close();
    if (!this.lib) return;
    if (this.spareDecoder) this.lib.freeDecoder(this.spareDecoder);
    this.spareDecoder = undefined;
    if (this.config) this.lib.freeConfig(this.config);
    this.config = undefined;
  }

  private newDecoder(duringInit = false): NativePointer {
    const decoder = this.lib!.createDecoder(this.config!);
    if (decoder) return decoder;
    const message = `could not load the model (acoustic ${this.files.acousticModel}, language ${this.files.languageModel})`;
    if (duringInit) throw new EngineUnavailableError(ENGINE_ID, `${message}; ${INSTALL_HINT}`);
    throw new EngineError(ENGINE_ID, message, false);
  }

  createStream(options: AsrStreamOptions): AsrStream {
    this.assertOpen();
    if (options.language !== 'en') {
      throw new EngineError(
        ENGINE_ID,
        `language "${options.language}" is not supported (English only)`,
        false,
      );
    }
    // Set by start(), which assertOpen() has seen succeed.
    const lib = this.lib!;
    const decoder = this.spareDecoder ?? this.newDecoder();
    this.spareDecoder = undefined;
    const stream = new PocketsphinxStream(lib, decoder, {
      frameMs: this.frameMs,
      partialEverySamples:
        ((this.options.partialIntervalMs ?? DEFAULTS.partialIntervalMs) * SAMPLE_RATE) / 1000,
      onEvent: options.onEvent,
      gain: this.options.inputGain === false ? undefined : new InputGain(this.options.inputGain),
      release: (d) => {
        this.openStreams.delete(stream);
        lib.freeDecoder(d);
      },
    });
    this.openStreams.add(stream);
    return stream;
  }
}

interface StreamSettings {
  frameMs: number;
  partialEverySamples: number;
  onEvent: ((event: AsrEvent) => void) | undefined;
  gain: InputGain | undefined;
  release: (decoder: NativePointer) => void;
}

class PocketsphinxStream implements AsrStream {
  private inUtterance = false;
  private samplesSincePartial = 0;
  /** Samples written in the current utterance: the `endMs` of an interim hypothesis. */
  private utteranceSamples = 0;
  /** Decoder frame of the utterance's first sample (see words()). */
  private originFrame: number | null = null;
  private lastInterim = '';
  private readonly guard = new StreamGuard(ENGINE_ID);

  constructor(
    private readonly lib: PocketsphinxLibrary,
    private readonly decoder: NativePointer,
    private readonly settings: StreamSettings,
  ) {}

  write(samples: Int16Array): void {
    this.guard.assertOpen('write');
    if (samples.length === 0) return;
    if (!this.inUtterance) {
      if (this.lib.startUtterance(this.decoder) < 0) throw new EngineError(ENGINE_ID, 'ps_start_utt failed');
      this.inUtterance = true;
    }
    const input = this.settings.gain ? this.settings.gain.process(samples) : samples;
    if (this.lib.processRaw(this.decoder, input) < 0)
      throw new EngineError(ENGINE_ID, 'ps_process_raw failed');
    this.utteranceSamples += samples.length;
    this.samplesSincePartial += samples.length;
    if (this.settings.onEvent && this.samplesSincePartial >= this.settings.partialEverySamples) {
      this.samplesSincePartial = 0;
      const text = hypothesisText(this.lib.hypothesis(this.decoder));
      const endMs = Math.round((this.utteranceSamples * 1000) / SAMPLE_RATE);
      // An unchanged hypothesis is still news: more audio has been heard after its last word, which
      // is how the pipeline sees a pause. Word times come from the partial back-pointer table.
      if (text !== '' || this.lastInterim !== '') {
        this.lastInterim = text;
        this.settings.onEvent({ type: 'interim', text, words: this.words(), startMs: 0, endMs });
      }
    }
  }

  async finishUtterance(): Promise<AsrFinal> {
    this.guard.assertOpen('finishUtterance');
    const endMs = Math.round((this.utteranceSamples * 1000) / SAMPLE_RATE);
    this.samplesSincePartial = 0;
    this.utteranceSamples = 0;
    this.lastInterim = '';
    if (!this.inUtterance) return { type: 'final', text: '', startMs: 0, endMs };
    this.inUtterance = false;
    if (this.lib.endUtterance(this.decoder) < 0) throw new EngineError(ENGINE_ID, 'ps_end_utt failed');
    const text = hypothesisText(this.lib.hypothesis(this.decoder));
    const words = text === '' ? [] : this.words();
    this.originFrame = null;
    return { type: 'final', text, words, startMs: 0, endMs };
  }

  private words(): AsrWord[] {
    const words: AsrWord[] = [];
    const segments = this.lib.segments(this.decoder);
    // Segment frames keep counting across utterances of one decoder (a 5prealpha quirk, measured);
    // the sentence-start marker opens every utterance, so it gives the utterance's first frame.
    if (segments[0]?.word === '<s>') this.originFrame = segments[0].startFrame;
    const origin = this.originFrame ?? 0;
    for (const seg of segments) {
      const word = spokenWord(seg.word);
      if (word === null) continue;
      words.push({
        word,
        startMs: Math.round((seg.startFrame - origin) * this.settings.frameMs),
        endMs: Math.round((seg.endFrame + 1 - origin) * this.settings.frameMs),
      });
    }
    return words;
  }

  close(): void {
    if (!this.guard.close()) return;
    if (this.inUtterance) this.lib.endUtterance(this.decoder);
    this.inUtterance = false;
    this.settings.release(this.decoder);
  }
}
