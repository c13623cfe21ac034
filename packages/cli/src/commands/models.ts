/**
 * Operator-downloaded models. Nothing downloads at install or run time; this command is the one
 * explicit step that fetches weights, into <dataDir>/models (or --models-dir).
 */
import { join, resolve } from 'node:path';
import { downloadModel, missingFiles, modelCatalog } from '@babelcast/engine-sherpa';
import { loadConfig } from '@babelcast/server';
import type { Command } from '../command.ts';
import { requiredPositional } from './command-inputs.ts';

function modelsDir(values: Record<string, unknown>): string {
  if (values['models-dir']) return resolve(values['models-dir'] as string);
  const config = loadConfig();
  return config.engines.modelsDir
    ? resolve(config.engines.modelsDir)
    : join(resolve(config.dataDir), 'models');
}

const dirOption = { 'models-dir': { type: 'string' as const } };
const dirHelp = '      --models-dir DIR     where models live (default <dataDir>/models)';

export const modelsList: Command = {
  name: 'models list',
  summary: 'list downloadable speech recognition models and which are installed',
  usage: 'models list [--models-dir DIR]',
  options: dirOption,
  help: dirHelp,
  async run({ values }) {
    const dir = modelsDir(values);
    for (const m of modelCatalog().models) {
      const installed = missingFiles(dir, m).length === 0;
      console.log(
        `${installed ? 'installed' : '         '}  ${m.name.padEnd(58)} ${m.kind.padEnd(18)} ${m.languages.join(',')}`,
      );
    }
    console.log(`\nmodels directory: ${dir}`);
    return 0;
  },
};

export const modelsDownload: Command = {
  name: 'models download',
  summary: 'download a speech recognition model (the only command that fetches weights)',
  usage: 'models download <name> [--models-dir DIR]',
  options: dirOption,
  allowPositionals: true,
  help: dirHelp,
  async run({ values, positionals }) {
    const name = requiredPositional(positionals, 'give a model name (see "babelcast models list")');
    const dir = modelsDir(values);
    let last = 0;
    const result = await downloadModel(name, dir, {
      onProgress: (received, total) => {
        if (received - last < 5_000_000) return;
        last = received;
        process.stderr.write(
          `\r${(received / 1e6).toFixed(0)} MB${total ? ` of ${(total / 1e6).toFixed(0)} MB` : ''}`,
        );
      },
    });
    process.stderr.write('\n');
    if (result.alreadyInstalled) console.log(`${name} is already installed in ${result.dir}`);
    else
      console.log(
        `${name} installed in ${result.dir} (sha256 ${result.sha256}${result.verified ? ', verified' : ', no published checksum to verify against'})`,
      );
    console.log(`Use it with engines.asr = "sherpa" and engines.options.sherpa.model = "${name}".`);
    return 0;
  },
};
