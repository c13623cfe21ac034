import { resolve } from 'node:path';
import { createApiTokenIn, loadConfig, openStore } from '@babelcast/server';
import { type Command, UsageError } from '../command.ts';
import { requiredPositional } from './command-inputs.ts';

const dataDirOption = { 'data-dir': { type: 'string' as const } };
const dataDirHelp = "      --data-dir DIR       the server's data directory (default .babelcast)";

type Store = Awaited<ReturnType<typeof openStore>>;

/** `use` with the store of the server's data directory, closed when it is done. */
async function withStore(values: Record<string, unknown>, use: (store: Store) => Promise<number>) {
  const dataDir = resolve((values['data-dir'] as string | undefined) ?? loadConfig().dataDir);
  const store = await openStore(dataDir, loadConfig().store);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
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
    return withStore(values, async (store) => {
      console.log(await createApiTokenIn(store, name, values.operator ? 'operator' : 'speaker'));
      return 0;
    });
  },
};

export const tokenList: Command = {
  name: 'token list',
  summary: 'list API tokens (names and ids, never the tokens)',
  usage: 'token list [--data-dir DIR]',
  options: dataDirOption,
  help: dataDirHelp,
  async run({ values }) {
    return withStore(values, async (store) => {
      for (const t of await store.listApiTokens()) {
        const state = t.revokedAt ? `revoked ${new Date(t.revokedAt).toISOString()}` : 'active';
        console.log(`${t.id}  ${t.name.padEnd(20)} ${t.speakerId.padEnd(28)} ${state}`);
      }
      return 0;
    });
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
    const id = requiredPositional(positionals, 'give the token id (see "babelcast token list")');
    return withStore(values, async (store) => {
      if (!(await store.revokeApiToken(id, Date.now()))) {
        console.error(`no active token with id ${id}`);
        return 1;
      }
      console.log(`revoked ${id}`);
      return 0;
    });
  },
};
