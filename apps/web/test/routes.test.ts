import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webRoutes } from '../src/index.ts';

describe('webRoutes', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify();
    await app.register(webRoutes, {});
    await app.ready();
  });
  afterAll(() => app.close());

  it.each([
    ['/', 'speaker'],
    ['/speak', 'speaker'],
    ['/join/faithful-angel-590', 'listener'],
  ])('serves %s as the %s page with a strict CSP', async (url, page) => {
    const res = await app.inject({ url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain(`/assets/${page}.js`);
    expect(res.headers['content-security-policy']).toContain("script-src 'self' 'wasm-unsafe-eval'");
  });

  it('serves the bundles, the worklet and the stylesheet with their types', async () => {
    for (const [file, type] of [
      ['speaker.js', 'text/javascript'],
      ['listener.js', 'text/javascript'],
      ['capture-worklet.js', 'text/javascript'],
      ['app.css', 'text/css'],
    ]) {
      const res = await app.inject({ url: `/assets/${file}` });
      expect(res.statusCode, file).toBe(200);
      expect(res.headers['content-type']).toContain(type);
      expect(res.body.length).toBeGreaterThan(100);
    }
  });

  it('keeps zod out of the page bundles (phones download them)', async () => {
    const res = await app.inject({ url: '/assets/listener.js' });
    expect(res.body).not.toMatch(/ZodError|invalid_type/);
  });

  it('answers a revalidation with 304', async () => {
    const first = await app.inject({ url: '/assets/listener.js' });
    const again = await app.inject({
      url: '/assets/listener.js',
      headers: { 'if-none-match': String(first.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
  });

  it('serves nothing outside the bundle', async () => {
    for (const url of ['/assets/../package.json', '/assets/%2e%2e/src/index.ts', '/assets/nope.js']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
    }
  });
});
