/**
 * The server side of a replay: a server of its own when none is given (started warm, stopped and
 * its data removed afterwards), the session, and which target languages the server can voice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@babelcast/core';
import type { LanguagesResponse } from '@babelcast/protocol';
import type { RunningServer } from '@babelcast/server';
import type { ReplayOptions } from './types.ts';

export interface StartedServer {
  url: string;
  token: string;
  stop(): Promise<void>;
}

export async function ownServer(options: ReplayOptions): Promise<StartedServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'babelcast-replay-'));
  let server: RunningServer;
  try {
    // Loaded only here: a replay against --server (and the bench) never needs the server code.
    const { startServer } = await import('@babelcast/server');
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      dataDir,
      logLevel: 'warn',
      configFile: options.configFile,
      logger: createLogger({ level: 'warn', destination: process.stderr }),
      ...(options.engines ? { engines: options.engines } : {}),
      ...(options.mode ? { pipeline: { mode: options.mode } } : {}),
    });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  // Measure a warm server, as a real one is when a talk starts (its warm-up runs at start).
  await server.warmedUp;
  const token = await server.createApiToken('replay');
  return {
    url: server.url,
    token,
    async stop() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function createSession(
  url: string,
  token: string,
  source: string,
  title: string,
): Promise<string> {
  const res = await fetch(`${url}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ sourceLanguage: source, title }),
  });
  const body = (await res.json().catch(() => ({}))) as {
    id?: string;
    error?: { code: string; message: string };
  };
  if (!res.ok || !body.id) {
    throw new Error(
      `the server refused to create the session: HTTP ${res.status} ${body.error?.code ?? ''} ${body.error?.message ?? ''}`.trim(),
    );
  }
  return body.id;
}

export async function voicedLanguages(url: string, source: string): Promise<Set<string>> {
  try {
    const res = await fetch(`${url}/api/languages`);
    const body = (await res.json()) as LanguagesResponse;
    return new Set(body.pairs.filter((p) => p.source === source && p.voice).map((p) => p.target));
  } catch {
    return new Set();
  }
}
