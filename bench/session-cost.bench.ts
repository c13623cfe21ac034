/**
 * What one live session costs on this machine with the embedded engines: CPU seconds per second
 * of speech for the whole process tree (server, recogniser worker threads, apertium-apy and its
 * pipelines, espeak-ng/flite children), and memory with 1 and with 5 concurrent sessions.
 *
 *   npx tsx bench/session-cost.bench.ts [--listen es,fr,pt] [--sessions 1,5] [--clip long-en-01.wav]
 *
 * CPU comes from /proc (utime+stime of every live process in the tree, plus cutime+cstime for
 * the children that already exited), so it counts work done in other processes, which the
 * server's own process.cpuUsage() misses. Memory is PSS summed over the tree (shared pages
 * counted once, fairly split), and the server's RSS alone for comparison. Linux only.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { readWavFile } from '@babelcast/core';
import { speechClip } from '@babelcast/core/testing';
import { replay } from '@babelcast/cli/replay';
import { cpuSeconds, pssMb, rssMb, tree } from './lib/process-tree.ts';
import { ServerProcess } from './lib/server-client.ts';

const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: 'es,fr,pt' },
    sessions: { type: 'string', default: '1,5' },
    clip: { type: 'string', default: 'long-en-01.wav' },
  },
});
const listen = values.listen!.split(',');
const clipSeconds = readWavFile(speechClip(values.clip!)).samples.length / 16000;
const results = [];
for (const n of values.sessions!.split(',').map(Number)) {
  const server = await ServerProcess.start({ engines: 'embedded' });
  const pid = server.child.pid!;
  try {
    const idle = { pss: pssMb(tree(pid)), rss: rssMb(pid) };
    const cpuBefore = cpuSeconds(tree(pid));
    let peak = { pss: 0, rss: 0 };
    const sampler = setInterval(() => {
      const pss = pssMb(tree(pid));
      if (pss > peak.pss) peak = { pss, rss: rssMb(pid) };
    }, 1000);
    const runs = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        await new Promise((r) => setTimeout(r, i * 300));
        return replay({
          file: speechClip(values.clip!),
          source: 'en',
          listen,
          server: { url: server.url, token: server.token },
        });
      }),
    );
    clearInterval(sampler);
    const cpu = cpuSeconds(tree(pid)) - cpuBefore;
    const translationP95 = Math.max(...runs.map((r) => r.summary.latencyMs.translation?.p95 ?? 0));
    const row = {
      sessions: n,
      targetLanguages: listen,
      speechSeconds: Math.round(clipSeconds * n * 10) / 10,
      cpuSecondsPerSpeechSecond: Math.round((cpu / (clipSeconds * n)) * 1000) / 1000,
      idleTreePssMb: idle.pss,
      peakTreePssMb: peak.pss,
      peakServerRssMb: peak.rss,
      worstTranslationP95Ms: Math.round(translationP95),
    };
    console.log(JSON.stringify(row));
    results.push(row);
  } finally {
    await server.stop();
  }
}
const out = {
  date: new Date().toISOString(),
  machine: {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model,
    memoryGb: Math.round(totalmem() / 1e8) / 10,
    node: process.version,
  },
  clip: values.clip,
  results,
};
writeFileSync(new URL('./results/session-cost.json', import.meta.url), JSON.stringify(out, null, 2));
console.log(
  '\n| sessions | target languages | CPU s per speech s (whole tree) | peak PSS of the tree (MB) | peak server RSS (MB) | worst translation p95 (ms) |',
);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(
    `| ${r.sessions} | ${r.targetLanguages.join(', ')} | ${r.cpuSecondsPerSpeechSecond} | ${r.peakTreePssMb} (idle ${r.idleTreePssMb}) | ${r.peakServerRssMb} | ${r.worstTranslationP95Ms} |`,
  );
}
