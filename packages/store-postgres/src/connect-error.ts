/**
 * What to tell an operator when PostgreSQL cannot be reached at start. Messages name the server as
 * host:port (and the user and database where they matter), never the URL: it may hold a password.
 */
import { parse } from 'pg-connection-string';

export interface PostgresTarget {
  /** host:port, or the socket directory:port for a Unix socket. */
  address: string;
  host: string;
  port: string;
  user: string;
  database: string;
}

/** Where a connection string points, with libpq's defaults (PGHOST, PGPORT, PGUSER, PGDATABASE). */
export function describeTarget(url: string, env: NodeJS.ProcessEnv = process.env): PostgresTarget {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(url);
  } catch {
    throw new PostgresConnectError(
      'the PostgreSQL URL is not valid: expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE',
      '(invalid URL)',
    );
  }
  const host = parsed.host || env.PGHOST || 'localhost';
  const port = parsed.port || env.PGPORT || '5432';
  const user = parsed.user || env.PGUSER || env.USER || 'postgres';
  const database = parsed.database || env.PGDATABASE || user;
  return { address: `${host}:${port}`, host, port, user, database };
}

/** PostgreSQL could not be used at start; `address` is host:port. The message says what to check. */
export class PostgresConnectError extends Error {
  readonly address: string;
  constructor(message: string, address: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PostgresConnectError';
    this.address = address;
  }
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'ENOENT', // a Unix socket path that does not exist
]);

/** Turns a pg connection error into one that names host:port and says what to check. */
export function connectError(err: unknown, target: PostgresTarget): PostgresConnectError {
  const e = err as { code?: string; message?: string };
  const code = e?.code ?? '';
  const detail = e?.message ?? String(err);
  const { address, host, port, user, database } = target;
  const where = `PostgreSQL at ${address}`;
  if (UNREACHABLE.has(code) || /timeout|terminated unexpectedly/i.test(detail)) {
    return new PostgresConnectError(
      `${where} is unreachable (${code || detail}). Check that PostgreSQL is running and listening on ` +
        `${address} (pg_isready -h ${host} -p ${port}), that the host and port of the store URL ` +
        '(BABELCAST_POSTGRES_URL or store.postgresUrl) are right, and that no firewall blocks the port.',
      address,
      { cause: err },
    );
  }
  if (code === '28P01' || code === '28000') {
    return new PostgresConnectError(
      `${where} refused user "${user}" (${detail}). Check the user and password in the store URL, ` +
        "and the server's pg_hba.conf.",
      address,
      { cause: err },
    );
  }
  if (code === '3D000') {
    return new PostgresConnectError(
      `${where} has no database "${database}". Create it (createdb -h ${host} -p ${port} ${database}) ` +
        'or fix the database name in the store URL.',
      address,
      { cause: err },
    );
  }
  return new PostgresConnectError(
    `cannot use ${where} (${code ? `${code}: ` : ''}${detail}). Check the store URL and the server's log.`,
    address,
    { cause: err },
  );
}
