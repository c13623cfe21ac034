/**
 * Translation, speech synthesis and Opus encoding on this machine.
 * Run: npx tsx bench/mt-tts.bench.ts   (writes bench/results/mt-tts.json)
 *
 * - ApertiumMt: corpus chrF (chrF2, as sacreBLEU) of the 200 FLORES sentences, English into
 *   es, fr, pt, ca, it (fr/pt/it pivot through Spanish), one sentence at a time as the pipeline
 *   sends them; p50/p95 latency per sentence (pipelines warmed up first); latency of one sentence into all
 *   five languages at once (what the pipeline does); RSS of apy + pipelines.
 * - EspeakTts (es, fr) and FliteTts (en): wall-clock real-time factor per sentence (process start
 *   included, as the pipeline pays it) and time to the first audio chunk, on 40 FLORES sentences.
 * - OpusCodec: CPU real-time factor encoding real speech at 24 kHz in 20 ms frames.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpusCodec } from '@babelcast/codec-opus';
import { chrF, readWavFile, resample, type TtsEngine } from '@babelcast/core';
import { floresSentences, speechClip, speechManifest } from '@babelcast/core/testing';
import { ApertiumMt } from '@babelcast/engine-apertium';
import { EspeakTts } from '@babelcast/engine-espeak';
import { FliteTts } from '@babelcast/engine-flite';

const TARGETS = ['es', 'fr', 'pt', 'ca', 'it'] as const;
const TTS_SENTENCES = 40;

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const round = (x: number, digits = 1) => Number(x.toFixed(digits));

// --- Machine translation -------------------------------------------------------------------
const english = floresSentences('en');
const mt = new ApertiumMt();
const mtStart = performance.now();
await mt.init();
const apyStartMs = performance.now() - mtStart;

const mtResults = [];
for (const to of TARGETS) {
  const pair = mt.capabilities.pairs.find((p) => p.from === 'en' && p.to === to)!;
  await mt.translate({ text: 'Warm-up sentence.', from: 'en', to }); // starts apy's pipelines for the pair
  const references = floresSentences(to);
  const latencies: number[] = [];
  const pairs: { hypothesis: string; reference: string }[] = [];
  for (let i = 0; i < english.length; i++) {
    const started = performance.now();
    const hypothesis = await mt.translate({ text: english[i]!, from: 'en', to });
    latencies.push(performance.now() - started);
    pairs.push({ hypothesis, reference: references[i]! });
  }
  mtResults.push({
    pair: `en→${to}`,
    via: pair.via,
    sentences: pairs.length,
    chrF: round(chrF(pairs)),
    p50Ms: round(percentile(latencies, 50)),
    p95Ms: round(percentile(latencies, 95)),
    example: { source: english[0], hypothesis: pairs[0]!.hypothesis, reference: pairs[0]!.reference },
  });
}
// The pipeline translates each sentence into every listener language at once.
const fanOutMs: number[] = [];
for (const text of english.slice(0, 100)) {
  const started = performance.now();
  await Promise.all(TARGETS.map((to) => mt.translate({ text, from: 'en', to })));
  fanOutMs.push(performance.now() - started);
}
const fanOut = {
  targets: TARGETS.length,
  sentences: fanOutMs.length,
  p50Ms: round(percentile(fanOutMs, 50)),
  p95Ms: round(percentile(fanOutMs, 95)),
};
const apyMemory = mt.memory();
const apyRssMb = round(apyMemory.rssBytes / 2 ** 20, 0);
const apyPssMb = round(apyMemory.pssBytes / 2 ** 20, 0);
await mt.close();

// --- Speech synthesis ----------------------------------------------------------------------
async function measureTts(engine: TtsEngine, language: string) {
  const sentences = floresSentences(language).slice(0, TTS_SENTENCES);
  let audioSeconds = 0;
  let wallSeconds = 0;
  const firstChunkMs: number[] = [];
  let sampleRate = 0;
  for (const text of sentences) {
    const started = performance.now();
    let first = true;
    for await (const chunk of engine.synthesize({ text, language })) {
      if (first) firstChunkMs.push(performance.now() - started);
      first = false;
      sampleRate = chunk.sampleRate;
      audioSeconds += chunk.samples.length / chunk.sampleRate;
    }
    wallSeconds += (performance.now() - started) / 1000;
  }
  return {
    engine: engine.info.id,
    language,
    sentences: sentences.length,
    sampleRate,
    audioSeconds: round(audioSeconds),
    rtf: round(wallSeconds / audioSeconds, 4),
    firstAudioP50Ms: round(percentile(firstChunkMs, 50)),
    firstAudioP95Ms: round(percentile(firstChunkMs, 95)),
  };
}

const espeak = new EspeakTts();
const flite = new FliteTts();
await Promise.all([espeak.init(), flite.init()]);
const ttsResults = [
  await measureTts(espeak, 'es'),
  await measureTts(espeak, 'fr'),
  await measureTts(flite, 'en'),
];

// --- Opus ------------------------------------------------------------------------------------
const codec = new OpusCodec();
await codec.init();
const speech = speechManifest()
  .filter((r) => r.lang === 'en' && r.file.startsWith('ljspeech'))
  .map((r) => resample(readWavFile(speechClip(r.file)).samples, 16000, 24000));
const encoder = codec.createEncoder();
let frames = 0;
let bytes = 0;
const cpuBefore = process.cpuUsage();
for (const clip of speech) {
  for (let at = 0; at + 480 <= clip.length; at += 480) {
    bytes += encoder.encodeFrame(clip.subarray(at, at + 480)).byteLength;
    frames++;
  }
}
const cpu = process.cpuUsage(cpuBefore);
encoder.close();
await codec.close();
const opusAudioSeconds = frames * 0.02;
const opusResult = {
  audioSeconds: round(opusAudioSeconds),
  rtf: round((cpu.user + cpu.system) / 1e6 / opusAudioSeconds, 5),
  kbitPerSecond: round((bytes * 8) / opusAudioSeconds / 1000),
};

// --- Report ----------------------------------------------------------------------------------
const results = {
  machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
  mt: { engine: 'apertium', apyStartMs: round(apyStartMs, 0), apyRssMb, apyPssMb, pairs: mtResults, fanOut },
  tts: ttsResults,
  opus: { sampleRate: 24000, frameMs: 20, bitrate: 24000, complexity: 5, application: 'voip', ...opusResult },
};
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'mt-tts.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);

console.log(
  `Apertium (apy started in ${results.mt.apyStartMs} ms; apy + 5 pair pipelines: ${apyPssMb} MB PSS, ${apyRssMb} MB summed RSS)`,
);
console.log('pair     via   chrF    p50 ms   p95 ms');
for (const r of mtResults)
  console.log(
    `${r.pair.padEnd(8)} ${(r.via.join(',') || '-').padEnd(4)} ${r.chrF.toFixed(1).padStart(5)}  ${r.p50Ms.toFixed(1).padStart(7)}  ${r.p95Ms.toFixed(1).padStart(7)}`,
  );
console.log(
  `one sentence into all ${fanOut.targets} languages at once: p50 ${fanOut.p50Ms} ms, p95 ${fanOut.p95Ms} ms (${fanOut.sentences} sentences)`,
);
console.log('\nTTS         lang  rate    audio s   RTF (wall)  first audio p50/p95 ms');
for (const t of ttsResults)
  console.log(
    `${t.engine.padEnd(11)} ${t.language.padEnd(5)} ${String(t.sampleRate).padEnd(7)} ${t.audioSeconds.toFixed(1).padStart(7)}   ${t.rtf.toFixed(4).padStart(8)}    ${t.firstAudioP50Ms}/${t.firstAudioP95Ms}`,
  );
console.log(
  `\nOpus 24 kHz/20 ms/24 kbit/s/complexity 5: ${opusResult.audioSeconds} s of speech, RTF ${opusResult.rtf} (${round(1 / opusResult.rtf, 0)}× real time), ${opusResult.kbitPerSecond} kbit/s`,
);
console.log(`\nwrote ${out}`);
