/**
 * Operator commands for sessions. They talk to the running server's HTTP API (so a live session
 * is ended properly: listeners told, pipeline flushed), with an operator or owner token.
 */
import type { SessionInfo } from '@babelcast/protocol';
import { type Command, UsageError } from '../command.ts';
import { requiredPositional } from './command-inputs.ts';

const serverOptions = {
  server: { type: 'string' as const },
  token: { type: 'string' as const },
};
const serverHelp = [
  '      --server URL         the server (default http://localhost:8080, or BABELCAST_SERVER)',
  '      --token T            an operator or speaker token (or BABELCAST_TOKEN)',
].join('\n');

async function call(values: Record<string, unknown>, method: string, path: string): Promise<unknown> {
  const server = (
    (values.server as string | undefined) ??
    process.env.BABELCAST_SERVER ??
    'http://localhost:8080'
  ).replace(/\/$/, '');
  const token = (values.token as string | undefined) ?? process.env.BABELCAST_TOKEN;
  if (!token) throw new UsageError('a token is required (--token or BABELCAST_TOKEN)');
  const res = await fetch(server + path, { method, headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as { error?: { code: string; message: string } };
  if (!res.ok) throw new Error(`${body.error?.code ?? res.status}: ${body.error?.message ?? res.statusText}`);
  return body;
}

export const sessionsList: Command = {
  name: 'sessions list',
  summary: 'list sessions (all of them with an operator token)',
  usage: 'sessions list [--state live] [--server URL] [--token T] [--json]',
  options: { ...serverOptions, state: { type: 'string' }, json: { type: 'boolean' } },
  help: `      --state S            created, live, paused or ended\n      --json               print JSON\n${serverHelp}`,
  async run({ values }) {
    const q = values.state ? `?state=${encodeURIComponent(values.state as string)}` : '';
    const { sessions } = (await call(values, 'GET', `/api/sessions${q}`)) as { sessions: SessionInfo[] };
    if (values.json) {
      console.log(JSON.stringify(sessions, null, 2));
      return 0;
    }
    for (const s of sessions) {
      const listeners = Object.values(s.listeners).reduce((a, b) => a + b, 0);
      console.log(
        `${s.id.padEnd(28)} ${s.state.padEnd(8)} ${s.sourceLanguage}  listeners=${listeners}  ${s.createdAt}  ${s.title ?? ''}`,
      );
    }
    return 0;
  },
};

export const sessionsEnd: Command = {
  name: 'sessions end',
  summary: 'end a session (listeners are told; transcripts are kept)',
  usage: 'sessions end <id> [--server URL] [--token T]',
  options: serverOptions,
  allowPositionals: true,
  help: serverHelp,
  async run({ values, positionals }) {
    const id = requiredPositional(positionals, 'give the session id');
    const s = (await call(values, 'POST', `/api/sessions/${encodeURIComponent(id)}/end`)) as SessionInfo;
    console.log(`${s.id} ${s.state}`);
    return 0;
  },
};
