import { mkdtempSync, readFileSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '@babelcast/server';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLocalCertificate } from '../src/tls-certificate.ts';

describe('HTTPS with a generated LAN certificate', () => {
  it('serves pages and WebSockets over TLS that a client trusting the local CA accepts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bc-tls-'));
    const cert = createLocalCertificate(join(dir, 'tls'), ['127.0.0.1', 'babelcast.local']);
    const server = await startServer({
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      dataDir: dir,
      engines: 'fake',
      tls: { certFile: cert.cert, keyFile: cert.key },
    });
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = readFileSync(cert.caCert);
      const status = await new Promise<number>((resolve, reject) => {
        get(`${server.url}/healthz`, { ca }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
      expect(status).toBe(200);
      // A client that does not trust the CA is refused: the certificate really is checked.
      await expect(
        new Promise((resolve, reject) => get(`${server.url}/healthz`, resolve).on('error', reject)),
      ).rejects.toThrow(/certificate/);
      const ws = new WebSocket(
        `${server.url.replace('https', 'wss')}/ws/listener?session=nope-nope-123&targetLanguage=es`,
        { ca },
      );
      const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
      expect(code).toBe(4404);
    } finally {
      await server.close();
    }
  });
});
