/**
 * What several commands read from their arguments the same way: the engine preset, the one
 * positional they need, a comma-separated list. One wording for each mistake, whichever command.
 */
import { UsageError } from '../command.ts';

export type EnginePreset = 'embedded' | 'fake';

/** `--engines`: embedded or fake, or undefined when not given. */
export function enginePreset(value: unknown): EnginePreset | undefined {
  if (value === undefined) return undefined;
  if (value !== 'embedded' && value !== 'fake')
    throw new UsageError(`--engines must be embedded or fake, got "${value}"`);
  return value;
}

/** The first positional argument; a usage error saying what to give when there is none. */
export function requiredPositional(positionals: string[], whatToGive: string): string {
  const first = positionals[0];
  if (!first) throw new UsageError(whatToGive);
  return first;
}

/** "a, b,,c" → ["a", "b", "c"]; undefined when the option was not given. */
export function commaList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  return (value as string)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
