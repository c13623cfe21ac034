import { join, resolve } from 'node:path';
import { loadConfig } from '@babelcast/server';
import { type Command, UsageError } from '../command.ts';
import { createLocalCertificate } from '../tls-certificate.ts';

export const certCreate: Command = {
  name: 'cert create',
  summary: 'make a self-signed HTTPS certificate for a LAN (local CA + server certificate)',
  usage: 'cert create --host <ip-or-name> [--host …] [--out DIR]',
  options: { host: { type: 'string', multiple: true }, out: { type: 'string' } },
  help: [
    '      --host H             an address phones use to reach the server (repeatable), e.g. 192.168.1.20',
    '      --out DIR            where to write ca.crt, server.crt, server.key (default <dataDir>/tls)',
  ].join('\n'),
  async run({ values }) {
    const hosts = (values.host as string[] | undefined) ?? [];
    if (hosts.length === 0) throw new UsageError('give --host with the LAN address phones will use');
    const dir = resolve((values.out as string | undefined) ?? join(loadConfig().dataDir, 'tls'));
    const c = createLocalCertificate(dir, hosts);
    console.log(`Certificate for ${hosts.join(', ')} written to ${dir}`);
    console.log(
      `\nStart the server with it:\n  npx babelcast start --cert ${c.cert} --key ${c.key} --public-url https://${hosts[0]}:8080`,
    );
    console.log(
      `\nThen trust ${c.caCert} on the speaker's device (see apps/web/README.md, "Self-signed certificate on a LAN").`,
    );
    return 0;
  },
};
