/**
 * `babelcast bench` (`npm run bench`): the benchmark suite in bench/ at the repository root.
 * It lives there, not in this package, because it drives the whole repository (dev data, engine
 * packages' own benchmarks, bench/results/); this command only parses options and starts it.
 */
import { type Command, UsageError } from '../command.ts';

const PARTS = ['latency', 'accuracy', 'throughput', 'fanout', 'soak', 'engines'];

export const bench: Command = {
  name: 'bench',
  summary: 'run the benchmarks (latency, accuracy, throughput, fan-out, soak) and write bench/results/',
  usage: 'bench [--part latency,accuracy,throughput,fanout,soak,engines] [--quick] [--engines embedded|fake]',
  options: {
    part: { type: 'string' },
    quick: { type: 'boolean' },
    engines: { type: 'string' },
    'soak-minutes': { type: 'string' },
    'fanout-max': { type: 'string' },
    out: { type: 'string' },
  },
  help: [
    `      --part LIST          parts to run (default all): ${PARTS.join(', ')}`,
    '      --quick              a few minutes: fewer clips and sentences, fan-out to 5,000, 1-minute soak',
    '      --engines PRESET     engines for latency/accuracy/throughput: embedded (default) or fake',
    '                           (fan-out and soak always use fake engines with Opus: they measure the hub)',
    '      --soak-minutes N     soak duration (default 30, quick 1)',
    '      --fanout-max N       largest fan-out step (default 19000, quick 5000)',
    '      --out DIR            where to write the report (default bench/results)',
  ].join('\n'),
  async run({ values }) {
    const parts = ((values.part as string | undefined) ?? PARTS.join(',')).split(',').map((p) => p.trim());
    const unknown = parts.filter((p) => !PARTS.includes(p));
    if (unknown.length) throw new UsageError(`unknown part(s): ${unknown.join(', ')}`);
    const engines = (values.engines as string | undefined) ?? 'embedded';
    if (engines !== 'embedded' && engines !== 'fake')
      throw new UsageError(`--engines must be embedded or fake, got "${engines}"`);
    const num = (name: string) => {
      const v = values[name];
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!(n > 0)) throw new UsageError(`--${name} must be a positive number`);
      return n;
    };
    // bench/ is outside this package's src on purpose (see above); loaded only when asked for.
    const suite = '../../../../bench/run.ts';
    const { runBench } = (await import(suite)) as typeof import('../../../../bench/run.ts');
    const { files, results } = await runBench({
      parts: parts as Parameters<typeof runBench>[0]['parts'],
      quick: Boolean(values.quick),
      engines,
      soakMinutes: num('soak-minutes'),
      fanoutMax: num('fanout-max'),
      outDir: values.out as string | undefined,
    });
    process.stdout.write(`\nWrote:\n${files.map((f) => `  ${f}`).join('\n')}\n`);
    const failed = Object.entries(results.parts as Record<string, { error?: string }>).filter(
      ([, v]) => v.error,
    );
    for (const [part, v] of failed) process.stderr.write(`part ${part} failed: ${v.error}\n`);
    return failed.length ? 1 : 0;
  },
};
