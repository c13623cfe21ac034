import { loadConfig, startServer, startWorker } from '@babelcast/server';
import { type Command, intOption, UsageError } from '../command.ts';
import {
  EMBEDDED_DEBIAN_PACKAGES,
  installCommand,
  installPackages,
  missingPackages,
} from '../system-packages.ts';

export const start: Command = {
  name: 'start',
  summary: 'start the server (embedded engines by default)',
  usage:
    'start [--role all|gateway|worker] [--nats URL] [--postgres URL] [--port N] [--host H] [--data-dir DIR] [--config FILE] [--engines embedded|fake] [--no-install]',
  options: {
    role: { type: 'string' },
    nats: { type: 'string' },
    postgres: { type: 'string' },
    port: { type: 'string', short: 'p' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    config: { type: 'string', short: 'c' },
    engines: { type: 'string' },
    'public-url': { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'no-install': { type: 'boolean' },
  },
  help: [
    '      --role ROLE          all (one process, default), gateway (pages, API, sockets) or worker',
    '                           (pipelines); gateways and workers need --nats and --postgres',
    '      --nats URL           NATS with JetStream, e.g. nats://127.0.0.1:4222 (BABELCAST_NATS_URL)',
    '      --postgres URL       PostgreSQL, e.g. postgres://user@host/db (BABELCAST_POSTGRES_URL)',
    '  -p, --port N             port to listen on (0 picks a free one; default 8080)',
    '      --host H             address to bind (default 0.0.0.0)',
    '      --data-dir DIR       where the database lives (default .babelcast)',
    '  -c, --config FILE        JSON config file (see the README, Configuration)',
    '      --engines PRESET     embedded (real engines, default) or fake (test engines)',
    '      --public-url URL     base URL for join links and QR codes (e.g. behind a proxy)',
    '      --cert FILE --key FILE   serve HTTPS with this certificate (see "babelcast cert create")',
    '      --no-install         do not install missing Debian packages; just report them',
  ].join('\n'),
  async run({ values }) {
    const overrides: Record<string, unknown> = {};
    const port = intOption(values.port, 'port');
    if (port !== undefined) overrides.port = port;
    if (values.host) overrides.host = values.host;
    if (values.role) overrides.role = values.role;
    if (values.nats) overrides.bus = { kind: 'nats', natsUrl: values.nats };
    if (values.postgres) overrides.store = { kind: 'postgres', postgresUrl: values.postgres };
    if (values['data-dir']) overrides.dataDir = values['data-dir'];
    if (values['public-url']) overrides.publicUrl = values['public-url'];
    if (values.engines) overrides.engines = { preset: values.engines };
    if (values.cert || values.key) {
      if (!values.cert || !values.key) throw new UsageError('--cert and --key go together');
      overrides.tls = { certFile: values.cert, keyFile: values.key };
    }
    const config = loadConfig({ file: values.config as string | undefined, overrides });
    if (config.engines.preset === 'embedded') {
      const missing = missingPackages(EMBEDDED_DEBIAN_PACKAGES);
      if (missing.length > 0) {
        console.log(`The embedded engines need Debian packages that are not installed: ${missing.join(' ')}`);
        const installed = !values['no-install'] && installPackages(missing, (l) => console.log(l));
        if (!installed) {
          console.error(`Install them with:\n  ${installCommand(missing)}\nthen run this command again.`);
          return 1;
        }
      }
    }
    if (config.role === 'worker') return runWorker(values.config as string | undefined, overrides);
    const server = await startServer({ configFile: values.config as string | undefined, ...overrides });
    // A bug in one session must not take every other session down with the process: log and go on.
    process.on('unhandledRejection', (reason) =>
      server.app.log.error({ err: reason }, 'unhandled rejection'),
    );
    process.on('uncaughtException', (err) => server.app.log.fatal({ err }, 'uncaught exception'));
    const tokens = await server.store.listApiTokens();
    const hasAuth =
      tokens.length > 0 ||
      server.config.auth.apiTokens.length > 0 ||
      server.config.auth.jwt.jwksUrl ||
      server.config.auth.jwt.hs256Secret;
    console.log(`\nBabelcast is running at ${server.url}`);
    console.log(`  speaker page: ${server.url}/speak`);
    if (!hasAuth) {
      const token = await server.createApiToken('admin');
      console.log(
        `\nFirst start: created a speaker token named "admin" (shown once, stored hashed):\n  ${token}\n`,
      );
    }
    console.log('Press Ctrl+C to stop.');
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    console.log('\nStopping: flushing sessions…');
    await server.close();
    return 0;
  },
};

/** Role worker: no pages or sockets, just pipelines; stops cleanly (sessions handed over) on a signal. */
async function runWorker(
  configFile: string | undefined,
  overrides: Record<string, unknown>,
): Promise<number> {
  const worker = await startWorker({ configFile, overrides });
  process.on('unhandledRejection', (reason) => console.error('unhandled rejection', reason));
  console.log(`\nBabelcast worker ${worker.id} is running (health and metrics at ${worker.url})`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('\nStopping: finishing and handing over sessions…');
  await worker.close();
  return 0;
}
