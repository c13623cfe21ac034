/**
 * Speech recognition and voice activity detection on the English development clips.
 * Run: npx tsx bench/asr-vad.bench.ts   (writes bench/results/asr-vad.json)
 *
 * - WER of PocketsphinxAsr, three ways: each clip as one utterance on a fresh stream (a new session
 *   per clip, cold level normalisation), all clips through one stream (one long session), and each
 *   clip cut into utterances by Silero VAD with a 400 ms silence endpointer (what the pipeline does).
 *   long-en-02 is skipped: it is fleurs-en-01..05 joined.
 * - Real-time factor (CPU seconds per audio second, one thread) of pocketsphinx and of each VAD.
 * - Resident memory after loading each engine.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AsrStream, int16ToFloat32, readWavFile, type VadEngine, wordErrorRate } from '@babelcast/core';
import { speechClip, speechManifest } from '@babelcast/core/testing';
import { PocketsphinxAsr } from '@babelcast/engine-pocketsphinx';
import { SileroVad } from '@babelcast/engine-sherpa';
import { WebRtcVad } from '@babelcast/engine-webrtc-vad';

const CHUNK = 1600; // 100 ms writes, as the speaker's client sends them
const ENDPOINT_SILENCE_MS = 400;

const clips = speechManifest()
  .filter((r) => r.lang === 'en' && r.file !== 'long-en-02.wav')
  .map((r) => ({ ...r, samples: readWavFile(speechClip(r.file)).samples }));
const audioSeconds = clips.reduce((s, c) => s + c.samples.length / 16000, 0);

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
const rssMb = () => Math.round(process.memoryUsage().rss / 1e6);

function feed(stream: AsrStream, samples: Int16Array): void {
  for (let at = 0; at < samples.length; at += CHUNK) stream.write(samples.subarray(at, at + CHUNK));
}

async function perClipFreshStream(asr: PocketsphinxAsr) {
  const pairs: Array<{ file: string; hypothesis: string; reference: string; wer: number }> = [];
  let cpu = 0;
  let firstPartialAudioMs: number[] = [];
  for (const clip of clips) {
    let written = 0;
    let firstPartial: number | undefined;
    const stream = asr.createStream({
      language: 'en',
      onEvent: (e) => {
        if (e.text !== '') firstPartial ??= (written / 16000) * 1000;
      },
    });
    const t0 = cpuSeconds();
    for (let at = 0; at < clip.samples.length; at += CHUNK) {
      written = Math.min(clip.samples.length, at + CHUNK);
      stream.write(clip.samples.subarray(at, at + CHUNK));
    }
    const { text } = await stream.finishUtterance();
    cpu += cpuSeconds() - t0;
    stream.close();
    if (firstPartial !== undefined) firstPartialAudioMs.push(firstPartial);
    pairs.push({
      file: clip.file,
      hypothesis: text,
      reference: clip.reference,
      wer: wordErrorRate([{ hypothesis: text, reference: clip.reference }]).wer,
    });
  }
  firstPartialAudioMs = firstPartialAudioMs.sort((a, b) => a - b);
  return {
    pairs,
    wer: wordErrorRate(pairs),
    rtf: cpu / audioSeconds,
    medianFirstPartialAtAudioMs: firstPartialAudioMs[Math.floor(firstPartialAudioMs.length / 2)] ?? null,
  };
}

async function oneSession(asr: PocketsphinxAsr) {
  const stream = asr.createStream({ language: 'en' });
  const pairs = [];
  for (const clip of clips) {
    feed(stream, clip.samples);
    pairs.push({ hypothesis: (await stream.finishUtterance()).text, reference: clip.reference });
  }
  stream.close();
  return wordErrorRate(pairs);
}

async function vadSegmented(asr: PocketsphinxAsr, vad: VadEngine) {
  const n = vad.capabilities.frameSamples;
  const silenceFrames = Math.ceil((ENDPOINT_SILENCE_MS * 16) / n);
  const pairs = [];
  let utterances = 0;
  for (const clip of clips) {
    const stream = asr.createStream({ language: 'en' });
    const vadStream = vad.createStream();
    const floats = int16ToFloat32(clip.samples);
    const texts: string[] = [];
    let inSpeech = false;
    let quiet = 0;
    for (let at = 0; at + n <= clip.samples.length; at += n) {
      const speech = vadStream.process(floats.subarray(at, at + n)) >= 0.5;
      // Audio goes to the recogniser only inside an utterance (plus the silence that ends it).
      if (speech) {
        inSpeech = true;
        quiet = 0;
      } else if (inSpeech) {
        quiet++;
      }
      if (inSpeech) stream.write(clip.samples.subarray(at, at + n));
      if (inSpeech && quiet >= silenceFrames) {
        texts.push((await stream.finishUtterance()).text);
        utterances++;
        inSpeech = false;
      }
    }
    if (inSpeech) {
      texts.push((await stream.finishUtterance()).text);
      utterances++;
    }
    stream.close();
    vadStream.close();
    pairs.push({ hypothesis: texts.filter(Boolean).join(' '), reference: clip.reference });
  }
  return { ...wordErrorRate(pairs), utterances };
}

async function vadRtf(make: () => VadEngine) {
  const before = rssMb();
  const vad = make();
  await vad.init();
  const n = vad.capabilities.frameSamples;
  const stream = vad.createStream();
  const t0 = cpuSeconds();
  let speechFrames = 0;
  let frames = 0;
  for (const clip of clips) {
    const floats = int16ToFloat32(clip.samples);
    for (let at = 0; at + n <= floats.length; at += n) {
      frames++;
      if (stream.process(floats.subarray(at, at + n)) >= 0.5) speechFrames++;
    }
  }
  const rtf = (cpuSeconds() - t0) / audioSeconds;
  stream.close();
  await vad.close();
  return {
    id: vad.info.id,
    frameSamples: n,
    rtf,
    speechShare: speechFrames / frames,
    rssGrowthMb: rssMb() - before,
  };
}

const rssStart = rssMb();
const asr = new PocketsphinxAsr();
await asr.init();
const rssPocketsphinx = rssMb();
const fresh = await perClipFreshStream(asr);
const session = await oneSession(asr);
const silero = new SileroVad();
await silero.init();
const segmented = await vadSegmented(asr, silero);
await silero.close();
const rssPeak = rssMb();
await asr.close();
const vads = [await vadRtf(() => new SileroVad()), await vadRtf(() => new WebRtcVad())];

const results = {
  date: new Date().toISOString(),
  machine: { node: process.version, cpus: 'measured on one thread' },
  clips: clips.map((c) => c.file),
  audioSeconds,
  pocketsphinx: {
    werPerClipFreshStream: fresh.wer,
    werOneSession: session,
    werSileroSegmented: segmented,
    rtf: fresh.rtf,
    medianFirstPartialAtAudioMs: fresh.medianFirstPartialAtAudioMs,
    rssMbAfterInit: rssPocketsphinx,
    rssMbBeforeInit: rssStart,
    rssMbPeak: rssPeak,
    perClip: fresh.pairs,
  },
  vad: vads,
};

const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'asr-vad.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
console.log(`English clips: ${clips.length}, ${audioSeconds.toFixed(1)} s of audio\n`);
console.log('clip                 WER     hypothesis');
for (const p of fresh.pairs)
  console.log(`${p.file.padEnd(20)} ${pct(p.wer).padStart(7)} ${p.hypothesis.slice(0, 70)}`);
console.log('\npocketsphinx                         WER      edits/words');
console.log(
  `  one fresh stream per clip         ${pct(fresh.wer.wer).padStart(7)}  ${fresh.wer.edits}/${fresh.wer.words}`,
);
console.log(
  `  all clips in one stream           ${pct(session.wer).padStart(7)}  ${session.edits}/${session.words}`,
);
console.log(
  `  Silero-segmented (${segmented.utterances} utterances)   ${pct(segmented.wer).padStart(7)}  ${segmented.edits}/${segmented.words}`,
);
console.log(`  real-time factor (one thread)     ${fresh.rtf.toFixed(3)}`);
console.log(
  `  first partial at                  ${fresh.medianFirstPartialAtAudioMs} ms into the clip (median, leading silence included)`,
);
console.log(`  RSS: ${rssStart} MB before, ${rssPocketsphinx} MB after init, ${rssPeak} MB peak`);
console.log('\nVAD       frame   RTF       speech share   RSS growth');
for (const v of vads) {
  console.log(
    `${v.id.padEnd(9)} ${String(v.frameSamples).padStart(5)}   ${v.rtf.toFixed(4).padStart(7)}   ${pct(v.speechShare).padStart(12)}   ${v.rssGrowthMb} MB`,
  );
}
console.log(`\nwrote ${out}`);
