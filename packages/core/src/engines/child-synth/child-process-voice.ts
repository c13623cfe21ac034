/**
 * What every voice that runs one program per sentence shares (espeak-ng, flite, SVOX Pico,
 * RHVoice): it finds its installed voices at start, refuses a language it has no voice for, speaks
 * nothing for blank text, and runs the program through `synthesizeWithChild`, so that a missing
 * program, a crash or an abort fails only that sentence. A voice implements `start` (probe the
 * program, call `useVoices`) and `speak` (the program's arguments for one sentence).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { EngineBase } from '../engine-base.ts';
import { EngineError, type EngineInfo, EngineUnavailableError } from '../engine.ts';
import type { SynthesizeRequest, TtsCapabilities, TtsChunk, TtsEngine } from '../tts.ts';
import { type SynthProcessSpec, synthesizeThroughFile, synthesizeWithChild } from './synth-process.ts';

const run = promisify(execFile);

/** A program that does not answer a probe (`--voices`, `-lv`, `--version`) in this time is broken. */
const PROBE_TIMEOUT_MS = 10_000;

export interface ChildProcessVoiceInfo {
  id: string;
  description: string;
  /** True when the program writes audio to a pipe while it synthesises (first audio sooner). */
  streaming: boolean;
  /** Path or name of the program. */
  binary: string;
  /** What to install when the program or its voices are missing, e.g. "apt-get install flite". */
  installHint: string;
}

/** The part of a child's spec that differs per sentence; the rest is the voice's own. */
type SentenceSpec = Pick<SynthProcessSpec, 'args' | 'stdin' | 'signal'>;

export abstract class ChildProcessVoice extends EngineBase implements TtsEngine {
  readonly info: EngineInfo;
  readonly capabilities: TtsCapabilities;
  protected readonly binary: string;
  protected readonly installHint: string;
  /** Language → installed voices, best first (found by start). */
  private installed = new Map<string, string[]>();

  constructor(voice: ChildProcessVoiceInfo) {
    super();
    this.info = { id: voice.id, kind: 'tts', description: voice.description, local: true };
    this.capabilities = { languages: [], streaming: voice.streaming };
    this.binary = voice.binary;
    this.installHint = voice.installHint;
  }

  /** One sentence of non-blank text with one of the language's installed voices. */
  protected abstract speak(text: string, voice: string, request: SynthesizeRequest): AsyncIterable<TtsChunk>;

  protected async stop(): Promise<void> {
    // Children live for one sentence and are killed through each request's signal.
  }

  async *synthesize(request: SynthesizeRequest): AsyncIterable<TtsChunk> {
    const voices = this.installed.get(request.language);
    if (!voices)
      throw new EngineError(
        this.info.id,
        `no ${this.info.id} voice for language "${request.language}"`,
        false,
      );
    this.assertOpen();
    // Only an installed voice may be asked for: some programs fall back silently on an unknown one.
    const voice = request.voice && voices.includes(request.voice) ? request.voice : voices[0]!;
    const text = request.text.trim();
    if (!text) return;
    yield* this.speak(text, voice, request);
  }

  /** The installed voices for a language, best first. */
  protected installedVoices(language: string): readonly string[] {
    return this.installed.get(language) ?? [];
  }

  /** What start found; none at all makes the engine unavailable, saying where it looked. */
  protected useVoices(voices: Map<string, string[]>, noneFound: string): void {
    if (voices.size === 0)
      throw new EngineUnavailableError(this.info.id, `${noneFound} (${this.installHint})`);
    this.installed = voices;
    this.capabilities.languages = [...voices.keys()].sort();
  }

  /** Runs the program once (to list voices, or only to see it runs); what it printed. */
  protected async probe(args: string[]): Promise<{ stdout: string; stderr: string }> {
    try {
      return await run(this.binary, args, { timeout: PROBE_TIMEOUT_MS });
    } catch (cause) {
      throw new EngineUnavailableError(
        this.info.id,
        `cannot run "${this.binary} ${args.join(' ')}" (${this.installHint})`,
        { cause },
      );
    }
  }

  /** The program for one sentence, its WAV read from a pipe as it is written. */
  protected runChild(sentence: SentenceSpec): AsyncGenerator<TtsChunk> {
    return synthesizeWithChild({ ...this.childSpec(), ...sentence });
  }

  /** The program for one sentence, its WAV written to a temporary file and read when it exits. */
  protected runChildThroughFile(
    args: (wavPath: string) => string[],
    signal?: AbortSignal,
  ): AsyncGenerator<TtsChunk> {
    return synthesizeThroughFile({ ...this.childSpec(), args, signal });
  }

  private childSpec() {
    return { engineId: this.info.id, command: this.binary, installHint: this.installHint };
  }
}
