/**
 * `babelcast replay`: play a recording into a server as a speaker and show what listeners get.
 * Every latency and accuracy figure in docs/benchmarks.md comes from this client.
 */
import { type Command, UsageError } from '../command.ts';
import { eventLine, type ReplayEvent, type ReplaySummary, replay } from '../replay/index.ts';
import { commaList, enginePreset, requiredPositional } from './command-inputs.ts';

export const replayCommand: Command = {
  name: 'replay',
  summary: 'stream a WAV file as a speaker and record what listeners receive (latency, text, audio)',
  usage:
    'replay <file.wav> --source en --listen es,fr [--server URL --token T] [--speed N] [--json] [--engines embedded|fake] [--mode simultaneous|sentence]',
  options: {
    source: { type: 'string', short: 's' },
    listen: { type: 'string', short: 'l' },
    server: { type: 'string' },
    token: { type: 'string' },
    speed: { type: 'string' },
    json: { type: 'boolean' },
    engines: { type: 'string' },
    config: { type: 'string', short: 'c' },
    mode: { type: 'string' },
    settle: { type: 'string' },
  },
  allowPositionals: true,
  help: [
    '  -s, --source LANG        language spoken in the file (default en)',
    '  -l, --listen LANGS       comma-separated listener languages (default es)',
    '      --server URL         an existing server; without it one is started on a free port and stopped',
    '      --token T            speaker token for --server (or BABELCAST_TOKEN)',
    '      --speed N            1 = real time (default); 4 = four times faster',
    '      --json               one JSON object per event, then a summary line',
    '      --engines PRESET     engines of the server started here: embedded (default) or fake',
    '  -c, --config FILE        config file for the server started here',
    '      --mode MODE          pipeline.mode of the server started here: simultaneous or sentence',
    '      --settle MS          stop once nothing has arrived for this long after the file (default 3000)',
    '',
    'The file should be 16 kHz mono 16-bit PCM WAV; other rates and channel counts are converted.',
    'The summary gives, per target language, how far behind each 100 ms of speech its text is shown',
    'and its voice heard (lagMs), voice drift, erasure, and latency from the last word; see',
    'docs/benchmarks.md for the definitions.',
  ].join('\n'),
  async run({ values, positionals }) {
    const args = replayArgs(values, positionals);
    const json = Boolean(values.json);
    const result = await replay({
      ...args,
      onEvent: (e) => showEvent(e, json),
      onInfo: (line) => process.stderr.write(`${line}\n`),
    });
    if (json) process.stdout.write(`${JSON.stringify(result.summary)}\n`);
    else printSummary(result.summary);
    return 0;
  },
};

/** The replay's options from the command line, checked. */
function replayArgs(values: Record<string, unknown>, positionals: string[]) {
  const file = requiredPositional(positionals, 'give the WAV file to replay');
  if (positionals.length > 1) throw new UsageError(`unexpected arguments: ${positionals.slice(1).join(' ')}`);
  const speed = values.speed === undefined ? 1 : Number(values.speed);
  if (!(speed > 0)) throw new UsageError(`--speed must be a positive number, got "${values.speed}"`);
  const settle = values.settle === undefined ? undefined : Number(values.settle);
  if (settle !== undefined && !(settle >= 0)) throw new UsageError('--settle must be a number of ms');
  const mode = values.mode as string | undefined;
  if (mode !== undefined && mode !== 'simultaneous' && mode !== 'sentence')
    throw new UsageError(`--mode must be simultaneous or sentence, got "${mode}"`);
  if (mode !== undefined && values.server)
    throw new UsageError('--mode applies to the server started here; an existing --server keeps its own');
  const engines = enginePreset(values.engines);
  const listen = commaList(values.listen ?? 'es') ?? [];
  let server: { url: string; token: string } | undefined;
  if (values.server) {
    const token = (values.token as string | undefined) ?? process.env.BABELCAST_TOKEN;
    if (!token) throw new UsageError('--server needs a speaker token (--token or BABELCAST_TOKEN)');
    server = { url: values.server as string, token };
  }
  return {
    file,
    source: (values.source as string | undefined) ?? 'en',
    listen,
    server,
    engines,
    configFile: values.config as string | undefined,
    mode: mode as 'simultaneous' | 'sentence' | undefined,
    speed,
    settleMs: settle,
  };
}

/** Each event as a JSON line, or (for people) each final and translation with its arrival time. */
function showEvent(e: ReplayEvent, json: boolean): void {
  if (json) {
    process.stdout.write(`${eventLine(e)}\n`);
    return;
  }
  if (e.type === 'final' || e.type === 'translation') {
    process.stdout.write(
      `${(e.receivedMs / 1000).toFixed(1).padStart(6)}s  ${e.lang.padEnd(3)} #${e.segment}  ${e.text}\n`,
    );
  }
}

const figure = (x: number | null, w = 7) => (x === null ? '-' : String(Math.round(x))).padStart(w);

/** The summary as tables: latency per stage, from the last word, and lag per language. */
function printSummary(s: ReplaySummary): void {
  const f = figure;
  process.stdout.write('\nFrom the end of each span (ms)  n     p50     p95\n');
  for (const [stage, p] of Object.entries(s.latencyMs))
    process.stdout.write(`  ${stage.padEnd(12)} ${String(p.n).padStart(5)} ${f(p.p50)} ${f(p.p95)}\n`);
  process.stdout.write('From the last word (ms)        n    mean     p50     p95\n');
  for (const [stage, p] of Object.entries(s.fromLastWordMs)) {
    if (typeof p === 'string') continue;
    process.stdout.write(
      `  ${stage.padEnd(12)} ${String(p.n).padStart(5)} ${f(p.mean)} ${f(p.p50)} ${f(p.p95)}\n`,
    );
  }
  process.stdout.write(
    `Behind the speaker (ms, over ${s.speechMoments} moments of speech)\n` +
      '  lang  text mean / p50 / p95   voice mean / p50 / p95   voice drift  unvoiced  erasure\n',
  );
  const trio = (p: { mean: number | null; p50: number | null; p95: number | null }) =>
    `${f(p.mean, 6)} /${f(p.p50, 6)} /${f(p.p95, 6)}`;
  for (const [lang, l] of Object.entries(s.lagMs)) {
    process.stdout.write(
      `  ${lang.padEnd(4)} ${trio(l.text)}   ${trio(l.voice)}   ${f(s.voiceDriftMs[lang] ?? null, 11)}  ${String(s.unvoicedMoments[lang]).padStart(8)}  ${String(s.erasure[lang] ?? '-').padStart(7)}\n`,
    );
  }
  for (const [lang, ms] of Object.entries(s.audioMs))
    process.stdout.write(`  audio ${lang}: ${(ms / 1000).toFixed(1)} s of translated speech\n`);
}
