import { ConfigError } from '@babelcast/server';
import { type Command, helpText, parse, UsageError } from './command.ts';
import { COMMANDS } from './commands/index.ts';

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `babelcast: self-hosted live speech translation\n\nUsage: babelcast <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "babelcast <command> --help" for a command's options.\n`;
}

export async function main(argv: string[]): Promise<number> {
  const words: string[] = [];
  let rest = argv;
  // Commands may have two words ("token create", "sessions end").
  let command: Command | undefined;
  for (let n = Math.min(2, argv.length); n >= 1 && !command; n--) {
    const name = argv.slice(0, n).join(' ');
    command = COMMANDS.find((c) => c.name === name);
    if (command) {
      words.push(...argv.slice(0, n));
      rest = argv.slice(n);
    }
  }
  if (!command) {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      process.stdout.write(topHelp());
      return argv.length === 0 ? 1 : 0;
    }
    const group = COMMANDS.filter((c) => c.name.startsWith(`${argv[0]} `));
    if (group.length > 0) {
      process.stdout.write(`Commands:\n${group.map((c) => `  ${c.name}  ${c.summary}`).join('\n')}\n`);
      return argv.includes('--help') || argv.includes('-h') ? 0 : 1;
    }
    process.stderr.write(`babelcast: unknown command "${argv[0]}"\n\n${topHelp()}`);
    return 2;
  }
  try {
    const args = parse(command, rest);
    if (args.values.help) {
      process.stdout.write(helpText(command));
      return 0;
    }
    return await command.run(args as { values: Record<string, unknown>; positionals: string[] });
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`babelcast ${words.join(' ')}: ${err.message}\n\n${helpText(command)}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`babelcast: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`babelcast ${words.join(' ')}: ${(err as Error).message}\n`);
    return 1;
  }
}
