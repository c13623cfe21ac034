/**
 * A local certificate authority and a server certificate for a LAN, made with the openssl command
 * (Debian's openssl package). Browsers allow the microphone only in secure contexts, so a speaker
 * on another device than the server needs HTTPS; on a LAN there is no public certificate to get.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

export interface LocalCertificate {
  caCert: string;
  cert: string;
  key: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Creates (or reuses) `ca.key`/`ca.crt` in `dir` and issues `server.key`/`server.crt` for `hosts`. */
export function createLocalCertificate(dir: string, hosts: string[], days = 825): LocalCertificate {
  if (hosts.length === 0) throw new Error('give at least one host name or IP address');
  mkdirSync(dir, { recursive: true });
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  if (!existsSync(caKey) || !existsSync(caCert)) {
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        String(days),
        '-subj',
        '/CN=Babelcast local CA',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
      ],
      dir,
    );
  }
  const san = hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  writeFileSync(
    join(dir, 'server.ext'),
    `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`,
  );
  openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${hosts[0]}`,
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
    ],
    dir,
  );
  // Phones reject server certificates valid for more than 825 days.
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      String(days),
      '-extfile',
      'server.ext',
      '-out',
      'server.crt',
    ],
    dir,
  );
  return { caCert, cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
}
