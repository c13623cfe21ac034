/**
 * Pays the engines' first-use costs before a listener would: on a fresh server the first
 * translation took 1.4–2.9 s against 0.6 s once warm, because Apertium starts a pair's pipeline on
 * its first request, and recognisers and voices page in their models on first use.
 *
 * Runs once at server start (in the background: the server answers meanwhile), and a language
 * track warms its own pair and voice again when the language gets its first listener.
 */
import type { Logger } from 'pino';
import type { EngineSet } from '../engines/index.ts';
import type { SynthesizeRequest, TtsEngine } from '../engines/tts.ts';

export interface WarmUpReport {
  ms: number;
  /** What was warmed, and what failed (a failure here is reported again on real work). */
  asrStreams: number;
  pairs: number;
  voices: number;
  failures: string[];
}

/** What is translated and spoken to warm an engine; its output is thrown away. */
export const WARM_UP_PHRASE = 'Hello, and welcome.';

/** Synthesise `text` and discard the audio: a voice loads its data on first use. */
export async function synthesizeAndDiscard(tts: TtsEngine, request: SynthesizeRequest): Promise<void> {
  for await (const _ of tts.synthesize(request)) {
    // drain: the audio is not needed
  }
}

export async function warmUpEngines(engines: EngineSet, logger: Logger): Promise<WarmUpReport> {
  const started = Date.now();
  const failures: string[] = [];
  const attempt = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      failures.push(what);
      logger.debug({ err, what }, 'warm-up step failed');
    }
  };
  // One stream per recogniser worker (a pool spreads concurrent streams over its workers).
  const parallel = Math.max(1, (engines.asr as { size?: number }).size ?? 1);
  const language = engines.asr.capabilities.languages[0];
  const asrWork = language
    ? Array.from({ length: parallel }, (_, i) =>
        attempt(`asr#${i}`, async () => {
          const stream = engines.asr.createStream({ language });
          try {
            // 0.5 s of faint noise: enough to run every model layer once.
            const noise = new Int16Array(8000);
            for (let j = 0; j < noise.length; j++) noise[j] = ((j * 7919) % 200) - 100;
            stream.write(noise);
            await stream.finishUtterance();
          } finally {
            stream.close();
          }
        }),
      )
    : [];
  const sources = new Set(engines.asr.capabilities.languages);
  const pairs = engines.mt.capabilities.pairs.filter((p) => sources.has(p.from));
  // Pairs one at a time: Apertium starts a process pipeline per pair, and starting ten at once on
  // two cores would slow the first live session more than it helps.
  const mtWork = (async () => {
    for (const p of pairs)
      await attempt(`mt ${p.from}-${p.to}`, async () => {
        await engines.mt.translate({ text: WARM_UP_PHRASE, from: p.from, to: p.to });
      });
  })();
  // Only voices a listener can get: a target of a served pair (espeak-ng alone has ~90 languages).
  const targets = new Set(pairs.map((p) => p.to));
  const voices = engines.tts.capabilities.languages.filter((l) => targets.has(l));
  const voiceWork = (async () => {
    for (const lang of voices)
      await attempt(`tts ${lang}`, () =>
        synthesizeAndDiscard(engines.tts, { text: WARM_UP_PHRASE, language: lang }),
      );
  })();
  await Promise.all([...asrWork, mtWork, voiceWork]);
  const report = {
    ms: Date.now() - started,
    asrStreams: asrWork.length,
    pairs: pairs.length,
    voices: voices.length,
    failures,
  };
  logger.info(report, 'engines warmed up');
  return report;
}
