/** A quick run's results around the parts a test makes up: the wrapper every report test needs. */
import { machine, type Results } from '../lib/results.ts';

export function quickRun<P extends Results>(
  parts: P,
  failedSteps: Array<Record<string, unknown>> = [],
): Results & { parts: P } {
  return {
    machine: machine(),
    quick: true,
    engines: { preset: 'fake' },
    substituted: [],
    totalSeconds: 1,
    failedSteps,
    parts,
  };
}
