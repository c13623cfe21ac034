/**
 * `babelcast bench` (`npm run bench`): the benchmark suite in bench/ at the repository root.
 * It lives there, not in this package, because it drives the whole repository (dev data, engine
 * packages' own benchmarks, bench/results/); this command only parses options and starts it.
 */
import { type Command, UsageError } from '../command.ts';
import { BENCH_PARTS, type BenchPart, type BenchSuite } from './bench-suite.ts';
import { commaList, enginePreset } from './command-inputs.ts';

const PARTS: readonly string[] = BENCH_PARTS;
// A variable, not a literal: the cli does not depend on the suite (see bench-suite.ts), so
// TypeScript must not try to resolve it here.
const BENCH_PACKAGE = '@babelcast/bench';

/** The suite, or a usage error where it is not installed (an install without the repository's bench/). */
async function loadSuite(): Promise<BenchSuite> {
  try {
    return ((await import(BENCH_PACKAGE)) as { suite: BenchSuite }).suite;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String(err).includes(BENCH_PACKAGE))
      throw new UsageError(
        `the benchmark suite (${BENCH_PACKAGE}, bench/ in the repository) is not installed`,
      );
    throw err;
  }
}

export const bench: Command = {
  name: 'bench',
  summary: 'run the benchmarks (latency, accuracy, throughput, fan-out, soak) and write bench/results/',
  usage:
    'bench [--part latency,accuracy,throughput,fanout,soak,engines] [--quick] [--engines embedded|fake] [--modes sentence,simultaneous]',
  options: {
    part: { type: 'string' },
    quick: { type: 'boolean' },
    engines: { type: 'string' },
    'soak-minutes': { type: 'string' },
    'fanout-max': { type: 'string' },
    out: { type: 'string' },
    modes: { type: 'string' },
    clips: { type: 'string' },
    speed: { type: 'string' },
    config: { type: 'string' },
  },
  help: [
    `      --part LIST          parts to run (default all): ${PARTS.join(', ')}`,
    '      --quick              a few minutes: fewer clips and sentences, fan-out to 5,000, 1-minute soak',
    '      --engines PRESET     engines for latency/accuracy/throughput: embedded (default) or fake',
    '                           (fan-out and soak always use fake engines with Opus: they measure the hub)',
    '      --soak-minutes N     soak duration (default 30, quick 1)',
    '      --fanout-max N       largest fan-out step (default 19000, quick 5000)',
    '      --out DIR            where to write the report (default bench/results)',
    '',
    'Latency part (how far behind the speaker, both pipeline modes side by side):',
    '      --modes LIST         pipeline modes to compare (default sentence,simultaneous), each on its',
    '                           own server process, warmed up first',
    '      --clips LIST         clips from the shared data (default long-en-01.wav,long-en-02.wav;',
    '                           quick: ljspeech-01.wav,fleurs-en-01.wav), listeners es and fr',
    '      --speed N            replay speed (default 1 = real time; other speeds only to try it out)',
    '',
    'Throughput part (concurrent real-time sessions on one server, and where the CPU goes):',
    '      --config FILE        server settings over the defaults, as JSON, e.g.',
    '                           {"pipeline":{"mode":"sentence"}} or {"pipeline":{"voice":{"prosody":false}}}',
    '',
    'The latency comparison of docs/benchmarks.md (run it on a quiet machine, ~6 minutes):',
    '  npm run bench -- --part latency',
    'Trying it out with the fake engines:',
    '  npm run bench -- --part latency --engines fake --clips ljspeech-01.wav',
  ].join('\n'),
  async run({ values }) {
    const parts = ((values.part as string | undefined) ?? PARTS.join(',')).split(',').map((p) => p.trim());
    const unknown = parts.filter((p) => !PARTS.includes(p));
    if (unknown.length) throw new UsageError(`unknown part(s): ${unknown.join(', ')}`);
    const engines = enginePreset(values.engines) ?? 'embedded';
    const num = (name: string) => {
      const v = values[name];
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!(n > 0)) throw new UsageError(`--${name} must be a positive number`);
      return n;
    };
    const modes =
      values.modes === undefined ? undefined : (values.modes as string).split(',').map((m) => m.trim());
    const badMode = modes?.find((m) => m !== 'sentence' && m !== 'simultaneous');
    if (badMode !== undefined)
      throw new UsageError(`--modes takes sentence and/or simultaneous, got "${badMode}"`);
    const clips = commaList(values.clips);
    const suite = await loadSuite();
    const { files, results } = await suite.runBench({
      parts: parts as BenchPart[],
      quick: Boolean(values.quick),
      engines,
      soakMinutes: num('soak-minutes'),
      fanoutMax: num('fanout-max'),
      outDir: values.out as string | undefined,
      modes: modes as Array<'sentence' | 'simultaneous'> | undefined,
      clips,
      speed: num('speed'),
      configFile: values.config as string | undefined,
    });
    process.stdout.write(`\nWrote:\n${files.map((f) => `  ${f}`).join('\n')}\n`);
    const failed = results.failedSteps;
    for (const f of failed) {
      const { part, error, ...where } = f;
      process.stderr.write(`part ${part} failed (${JSON.stringify(where)}): ${error}\n`);
    }
    return failed.length ? 1 : 0;
  },
};
