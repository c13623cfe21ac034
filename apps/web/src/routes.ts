/**
 * The Fastify plugin the server mounts: the speaker page at `/` and `/speak`, the listener page at
 * `/join/:id`, and the bundles at `/assets/*`. Bundles are read into memory once (a few hundred
 * kB), so serving them never touches the disk and a rebuild by another process cannot interfere.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ensureWebAssets } from './build.ts';
import { CONTENT_SECURITY_POLICY, type PageName, pageHtml } from './html.ts';

export interface WebRoutesOptions {
  /** Serve this folder instead of building (tests of the routes themselves). */
  assetsDir?: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

async function loadAssets(dir: string): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    const body = await readFile(full);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    const type = CONTENT_TYPES[extname(entry.name)] ?? 'application/octet-stream';
    assets.set(relative(dir, full).split(sep).join('/'), { body, type, etag });
  }
  return assets;
}

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('permissions-policy', 'microphone=(self), camera=()');
}

export async function webRoutes(app: FastifyInstance, opts: WebRoutesOptions = {}): Promise<void> {
  const assets = await loadAssets(opts.assetsDir ?? (await ensureWebAssets()));
  const pages: Record<PageName, string> = { speaker: pageHtml('speaker'), listener: pageHtml('listener') };

  const sendPage = (reply: FastifyReply, page: PageName) =>
    securityHeaders(reply)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(pages[page]);

  app.get('/', (_req, reply) => sendPage(reply, 'speaker'));
  app.get('/speak', (_req, reply) => sendPage(reply, 'speaker'));
  app.get('/join/:id', (_req, reply) => sendPage(reply, 'listener'));

  app.get<{ Params: { '*': string } }>('/assets/*', (req, reply) => {
    // Only names present in the bundle are served, so "../" tricks find nothing.
    const asset = assets.get(req.params['*']);
    if (!asset) {
      return reply.code(404).send({ error: { code: 'BC_ERR_NOT_FOUND', message: 'no such asset' } });
    }
    securityHeaders(reply).header('etag', asset.etag).header('cache-control', 'no-cache');
    if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  });
}
