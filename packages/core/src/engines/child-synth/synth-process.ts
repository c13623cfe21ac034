/**
 * Runs one synthesiser child process (espeak-ng, flite, pico2wave, RHVoice-test) for one sentence and yields its WAV
 * output as PCM chunks while the process is still writing, so playback can start before the
 * sentence is fully synthesised. Every way a child can fail becomes an EngineError; nothing here
 * may throw asynchronously outside the iterator (that would crash the server).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineError } from '../engine.ts';
import type { TtsChunk } from '../tts.ts';
import { type ProgramOutcome, voiceSpawner } from './voice-spawner.ts';
import { WavStreamParser } from './wav-stream-parser.ts';

export interface SynthProcessSpec {
  engineId: string;
  command: string;
  args: string[];
  /** Written to the child's stdin, which is then closed. Text never goes through a shell. */
  stdin?: string;
  signal?: AbortSignal;
  /** What to install when the binary is missing, e.g. "apt-get install espeak-ng". */
  installHint: string;
  /**
   * Read the WAV from this file after the child exits instead of from stdout. For programs that
   * cannot write to Node's stdout, which is a socket that `open("/dev/stdout")` refuses (flite).
   */
  outputFile?: string;
}

const STDERR_KEEP_BYTES = 2048;

export async function* synthesizeWithChild(spec: SynthProcessSpec): AsyncGenerator<TtsChunk> {
  spec.signal?.throwIfAborted();
  // Started by the voice spawner, not forked from this (large) process: see voice-spawner.ts.
  const child = voiceSpawner.spawn({
    command: spec.command,
    args: spec.args,
    stdin: spec.stdin,
    stdout: !spec.outputFile,
  });
  const outcome = child.outcome;
  let stderr = '';
  child.onStderr((s) => {
    stderr = (stderr + s).slice(-STDERR_KEEP_BYTES);
  });
  const kill = () => child.kill();
  spec.signal?.addEventListener('abort', kill, { once: true });

  const parser = new WavStreamParser();
  try {
    let readError: unknown;
    try {
      if (child.stdout) {
        for await (const bytes of child.stdout as AsyncIterable<Buffer>) {
          // Output already buffered in the pipe must not be played after an abort.
          spec.signal?.throwIfAborted();
          const samples = parser.push(bytes);
          if (samples.length > 0) yield { samples, sampleRate: parser.format!.sampleRate };
        }
      }
    } catch (cause) {
      if (spec.signal?.aborted) throw spec.signal.reason;
      readError = cause;
      kill();
    }
    const result = await outcome;
    if (spec.signal?.aborted) throw spec.signal.reason;
    const failure = describeFailure(spec, result, stderr, readError);
    if (failure) throw failure;
    if (spec.outputFile) yield* readWavFileInChunks(spec, parser);
    if (!parser.started) throw new EngineError(spec.engineId, `${spec.command} produced no audio`);
  } finally {
    spec.signal?.removeEventListener('abort', kill);
    // Reached early when the consumer stops iterating (barge-in, session closed). Waiting for the
    // exit means no synthesiser outlives the request that started it.
    if (!child.exited) kill();
    await outcome;
  }
}

/**
 * For programs that write a WAV file rather than a pipe (flite, pico2wave): each sentence gets a
 * private temporary directory, removed when the sentence ends however it ends. `args` receives the
 * path the program is to write.
 */
export async function* synthesizeThroughFile(
  spec: Omit<SynthProcessSpec, 'args' | 'outputFile'> & { args: (wavPath: string) => string[] },
): AsyncGenerator<TtsChunk> {
  const dir = await mkdtemp(join(tmpdir(), `babelcast-${spec.engineId}-`));
  const wav = join(dir, 'sentence.wav');
  try {
    yield* synthesizeWithChild({ ...spec, args: spec.args(wav), outputFile: wav });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function describeFailure(
  spec: SynthProcessSpec,
  result: ProgramOutcome,
  stderr: string,
  readError: unknown,
): EngineError | undefined {
  if (result.spawnError) {
    const missing = (result.spawnError as NodeJS.ErrnoException).code === 'ENOENT';
    return new EngineError(
      spec.engineId,
      missing
        ? `${spec.command} not found (${spec.installHint})`
        : `cannot start ${spec.command}: ${result.spawnError.message}`,
      !missing,
      { cause: result.spawnError },
    );
  }
  if (readError !== undefined)
    return new EngineError(
      spec.engineId,
      `unreadable output from ${spec.command}: ${String(readError)}`,
      true,
      {
        cause: readError,
      },
    );
  if (result.code !== 0) {
    const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.code}`;
    return new EngineError(spec.engineId, `${spec.command} ${how}: ${stderr.trim() || 'no message'}`);
  }
  return undefined;
}

/** Quarter-second chunks, so a consumer resamples and encodes in steps as with streamed output. */
const FILE_CHUNK_SECONDS = 0.25;

async function* readWavFileInChunks(
  spec: SynthProcessSpec,
  parser: WavStreamParser,
): AsyncGenerator<TtsChunk> {
  let samples: Int16Array;
  try {
    samples = parser.push(await readFile(spec.outputFile!));
  } catch (cause) {
    throw new EngineError(spec.engineId, `unreadable output from ${spec.command}: ${String(cause)}`, true, {
      cause,
    });
  }
  if (!parser.format) return;
  const step = Math.round(parser.format.sampleRate * FILE_CHUNK_SECONDS);
  for (let at = 0; at < samples.length; at += step)
    yield { samples: samples.slice(at, at + step), sampleRate: parser.format.sampleRate };
}
