/**
 * What `babelcast bench` asks of the benchmark suite, @babelcast/bench (bench/ at the repository
 * root). The suite sits above the cli: it replays clips through @babelcast/cli/replay. So the cli
 * must not import the suite, not even its types, or the two would import each other. Instead the
 * cli owns this contract, the suite implements it (bench/run.ts exports `suite: BenchSuite`) and
 * the cli loads the suite by package name only when someone runs the command.
 */
export const BENCH_PARTS = [
  'latency',
  'accuracy',
  'throughput',
  'fanout',
  'soak',
  'cluster',
  'engines',
] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

export interface BenchRequest {
  parts: BenchPart[];
  quick: boolean;
  engines: 'embedded' | 'fake';
  /** Latency part: pipeline modes to compare (default both: sentence, simultaneous). */
  modes?: Array<'sentence' | 'simultaneous'>;
  /** Latency part: clips instead of the default ones. */
  clips?: string[];
  /** Latency part: replay speed (1 = real time, the default; other speeds only to try the part out). */
  speed?: number;
  /** Throughput part: a JSON file of server settings over the defaults (e.g. {"pipeline":{"mode":"sentence"}}). */
  configFile?: string;
  soakMinutes?: number;
  fanoutMax?: number;
  outDir?: string;
}

/** A step that failed: its part, its error and where it was (step, mode, clip…). */
export type FailedStep = Record<string, unknown> & { part: string; error: string };

export interface BenchSuite {
  runBench(request: BenchRequest): Promise<{ files: string[]; results: { failedSteps: FailedStep[] } }>;
}
