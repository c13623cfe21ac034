import { EngineBase, EngineError } from '@babelcast/core/engines';
import type {
  EngineInfo,
  SynthesizeRequest,
  TtsCapabilities,
  TtsChunk,
  TtsEngine,
} from '@babelcast/core/engines';
import { EspeakTts, type EspeakTtsOptions } from '@babelcast/engine-espeak';
import { FliteTts, type FliteTtsOptions } from '@babelcast/engine-flite';

/** The operator's choice for one language (config `engines.voices`). */
export interface VoiceChoice {
  /** `engine` or `engine:voice`, e.g. `pico`, `rhvoice:bdl`, `flite`, `espeak-ng`. */
  voice?: string;
  /** Multiplies the speaking rate (catch-up and prosody multiply on top). */
  speed?: number;
  /** Multiplies the voice's pitch. */
  pitch?: number;
}

export interface EmbeddedVoicesOptions {
  espeak?: EspeakTtsOptions;
  flite?: FliteTtsOptions;
  /**
   * Start even when flite is missing (English then falls back to espeak-ng). Default true: flite
   * is an improvement for English, not a requirement.
   */
  fliteOptional?: boolean;
  /**
   * Better voices (SVOX Pico, RHVoice), best first. Each is optional: one that cannot start here
   * (its Debian package is not installed) is left out and its languages keep flite or espeak-ng.
   */
  preferred?: TtsEngine[];
  /** Per language (ISO 639-1): which voice, speed and pitch. */
  voices?: Record<string, VoiceChoice>;
}

/** One way to speak a language: an engine and, for engines with several voices, which one. */
interface Candidate {
  engine: TtsEngine;
  voice: string | undefined;
  /** `engine:voice`, as doctor and /api/languages show it. */
  name: string;
}

/**
 * The voice set: per language the best voice installed, falling back to flite (English) and
 * espeak-ng (everything else). A better voice that fails on a sentence before producing audio is
 * replaced by the next one for that sentence, so a broken or removed package costs a listener one
 * short delay, never the voice.
 */
export class EmbeddedVoices extends EngineBase implements TtsEngine {
  readonly info: EngineInfo = {
    id: 'embedded',
    kind: 'tts',
    description: 'best installed voice per language (SVOX Pico, RHVoice), else flite (English) and espeak-ng',
    local: true,
  };
  readonly capabilities: TtsCapabilities = { languages: [], streaming: true };
  readonly espeak: EspeakTts;
  readonly flite: FliteTts;
  private readonly preferred: TtsEngine[];
  private readonly choices: Record<string, VoiceChoice>;
  private readonly fliteOptional: boolean;
  private ready: TtsEngine[] = [];
  /** Why a better voice is not used (engine id → message), for doctor. */
  readonly unavailable = new Map<string, string>();

  constructor(options: EmbeddedVoicesOptions = {}) {
    super();
    this.espeak = new EspeakTts(options.espeak);
    this.flite = new FliteTts(options.flite);
    this.fliteOptional = options.fliteOptional ?? true;
    this.preferred = options.preferred ?? [];
    this.choices = options.voices ?? {};
  }

  protected async stop(): Promise<void> {
    await Promise.all([this.espeak.close(), this.flite.close(), ...this.preferred.map((e) => e.close())]);
  }

  /** Which engine speaks a language first, or undefined when none does. */
  engineFor(language: string): TtsEngine | undefined {
    return this.candidates(language)[0]?.engine;
  }

  /** Voices for a language, the one that speaks first (e.g. `pico:es-ES`, then `espeak-ng:es`). */
  voicesFor(language: string): string[] {
    return this.candidates(language).map((c) => c.name);
  }

  async *synthesize(request: SynthesizeRequest): AsyncIterable<TtsChunk> {
    const candidates = this.candidates(request.language, request.voice);
    if (candidates.length === 0)
      throw new EngineError(this.info.id, `no voice for language "${request.language}"`, false);
    this.assertOpen();
    const choice = this.choices[request.language] ?? {};
    const tuned: SynthesizeRequest = {
      ...request,
      rate: (request.rate ?? 1) * (choice.speed ?? 1),
      pitch: (request.pitch ?? 1) * (choice.pitch ?? 1),
    };
    let failure: unknown;
    for (const c of candidates) {
      let spoke = false;
      try {
        for await (const chunk of c.engine.synthesize({ ...tuned, voice: c.voice })) {
          spoke = true;
          yield chunk;
        }
        return;
      } catch (err) {
        // Audio already sent cannot be taken back, and an abort is not a failure of the voice.
        if (spoke || request.signal?.aborted) throw err;
        failure ??= err;
      }
    }
    throw failure;
  }

  /** Every voice for a language, best first: the configured or requested one, then by preference. */
  private candidates(language: string, requested?: string): Candidate[] {
    const all: Candidate[] = [];
    for (const engine of this.ready) {
      if (!engine.capabilities.languages.includes(language)) continue;
      const voices = engine.voicesFor?.(language) ?? [];
      if (voices.length === 0) all.push({ engine, voice: undefined, name: engine.info.id });
      for (const voice of voices) all.push({ engine, voice, name: `${engine.info.id}:${voice}` });
    }
    const wanted = requested ?? this.choices[language]?.voice;
    if (!wanted) return all;
    const matches = (c: Candidate) => c.name === wanted || c.engine.info.id === wanted;
    return [...all.filter(matches), ...all.filter((c) => !matches(c))];
  }

  protected async start(): Promise<void> {
    const [espeak, flite, ...better] = await Promise.allSettled([
      this.espeak.init(),
      this.flite.init(),
      ...this.preferred.map((e) => e.init()),
    ]);
    const failure =
      espeak!.status === 'rejected'
        ? espeak!
        : flite!.status === 'rejected' && !this.fliteOptional
          ? flite!
          : undefined;
    if (failure) {
      // A failed init is not followed by a close: release the voices that did start.
      await this.stop();
      throw failure.reason;
    }
    const ready: TtsEngine[] = [];
    this.unavailable.clear();
    better.forEach((r, i) => {
      const engine = this.preferred[i]!;
      if (r.status === 'fulfilled') ready.push(engine);
      else this.unavailable.set(engine.info.id, String((r.reason as Error)?.message ?? r.reason));
    });
    if (flite!.status === 'fulfilled') ready.push(this.flite);
    ready.push(this.espeak);
    this.ready = ready;
    const languages = new Set<string>();
    for (const e of ready) for (const l of e.capabilities.languages) languages.add(l);
    this.capabilities.languages = [...languages].sort();
    // Streaming only if every language's first voice streams (flite and Pico write whole sentences).
    this.capabilities.streaming = this.capabilities.languages.every(
      (l) => this.engineFor(l)?.capabilities.streaming ?? true,
    );
  }
}
