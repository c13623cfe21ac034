import { resolve } from 'node:path';
import { createApiTokenIn, loadConfig, openStore } from '@babelcast/server';
import { type Command, UsageError } from '../command.ts';

const dataDirOption = { 'data-dir': { type: 'string' as const } };
const dataDirHelp = "      --data-dir DIR       the server's data directory (default .babelcast)";

function dataDir(values: Record<string, unknown>): string {
  return resolve((values['data-dir'] as string | undefined) ?? loadConfig().dataDir);
}

export const tokenCreate: Command = {
  name: 'token create',
  summary: 'create a speaker API token (printed once, stored hashed)',
  usage: 'token create <name> [--operator] [--data-dir DIR]',
  options: { ...dataDirOption, operator: { type: 'boolean' } },
  allowPositionals: true,
  help: `      --operator           the token may list and end every session, not just its own\n${dataDirHelp}`,
  async run({ values, positionals }) {
    const name = positionals[0];
    if (!name || positionals.length > 1 || !/^[\w.@-]{1,64}$/.test(name))
      throw new UsageError('give one name: letters, digits, . _ - @');
    const store = await openStore(dataDir(values), loadConfig().store);
    try {
      const token = await createApiTokenIn(store, name, values.operator ? 'operator' : 'speaker');
      console.log(token);
      return 0;
    } finally {
      await store.close();
    }
  },
};

export const tokenList: Command = {
  name: 'token list',
  summary: 'list API tokens (names and ids, never the tokens)',
  usage: 'token list [--data-dir DIR]',
  options: dataDirOption,
  help: dataDirHelp,
  async run({ values }) {
    const store = await openStore(dataDir(values), loadConfig().store);
    try {
      for (const t of await store.listApiTokens()) {
        const state = t.revokedAt ? `revoked ${new Date(t.revokedAt).toISOString()}` : 'active';
        console.log(`${t.id}  ${t.name.padEnd(20)} ${t.speakerId.padEnd(28)} ${state}`);
      }
      return 0;
    } finally {
      await store.close();
    }
  },
};

export const tokenRevoke: Command = {
  name: 'token revoke',
  summary: 'revoke an API token by id',
  usage: 'token revoke <id> [--data-dir DIR]',
  options: dataDirOption,
  allowPositionals: true,
  help: dataDirHelp,
  async run({ values, positionals }) {
    const id = positionals[0];
    if (!id) throw new UsageError('give the token id (see "babelcast token list")');
    const store = await openStore(dataDir(values), loadConfig().store);
    try {
      if (!(await store.revokeApiToken(id, Date.now()))) {
        console.error(`no active token with id ${id}`);
        return 1;
      }
      console.log(`revoked ${id}`);
      return 0;
    } finally {
      await store.close();
    }
  },
};
