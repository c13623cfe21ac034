/** `babelcast translate`: stdin → stdout through the configured MT engine, one sentence per line. */
import { createInterface } from 'node:readline';
import { type Command, UsageError } from '../command.ts';
import { checkPair, withConfiguredEngines } from '../replay/index.ts';
import { enginePreset } from './command-inputs.ts';

export const translate: Command = {
  name: 'translate',
  summary: 'translate stdin to stdout with the configured MT engine, one sentence per line',
  usage: 'translate --from en --to es [--engines embedded|fake] [--config FILE]',
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    engines: { type: 'string' },
    config: { type: 'string', short: 'c' },
  },
  help: [
    '      --from LANG          source language (default en)',
    '      --to LANG            target language (required)',
    '      --engines PRESET     embedded (default) or fake',
    '  -c, --config FILE        JSON config file (engine choice and options)',
    '',
    'Empty lines stay empty, so output lines match input lines one to one.',
  ].join('\n'),
  async run({ values }) {
    const from = (values.from as string | undefined) ?? 'en';
    const to = values.to as string | undefined;
    if (!to) throw new UsageError('give the target language with --to');
    const choice = { configFile: values.config as string | undefined, preset: enginePreset(values.engines) };
    return withConfiguredEngines(choice, ['mt'], async (engines) => {
      checkPair(engines.mt, from, to);
      const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
      for await (const line of lines) {
        const text = line.trim();
        const out = text ? await engines.mt.translate({ text, from, to }) : '';
        process.stdout.write(`${out.replace(/\s*\n\s*/g, ' ')}\n`);
      }
      return 0;
    });
  },
};
