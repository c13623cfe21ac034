/** A CLI command: its own module, its own options, its own `--help`. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Lines describing each option, shown by --help. */
  help: string;
  allowPositionals?: boolean;
  run(args: { values: Record<string, unknown>; positionals: string[] }): Promise<number>;
}

export class UsageError extends Error {}

export function parse(command: Command, argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function helpText(command: Command): string {
  return `${command.summary}\n\nUsage: babelcast ${command.usage}\n\n${command.help}\n  -h, --help               show this help\n`;
}

export function intOption(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
}
