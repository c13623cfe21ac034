import { EngineError, EngineUnavailableError } from '@babelcast/core/engines';
import { describeMtConformance } from '@babelcast/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApertiumMt } from './apertium-mt.ts';
import { processGroupMembers } from './process-group.ts';

describeMtConformance('apertium en→es', () => new ApertiumMt(), {
  pair: ['en', 'es'],
  sample: { text: 'The house is big.', expect: /^La casa es grande\.$/ },
});

describeMtConformance('apertium en→fr through Spanish', () => new ApertiumMt(), {
  pair: ['en', 'fr'],
  sample: { text: 'The house is big.', expect: /^La maison est grande\.$/ },
});

describe('ApertiumMt', () => {
  const notices: string[] = [];
  const mt = new ApertiumMt({ onNotice: (m) => notices.push(m) });
  beforeAll(() => mt.init(), 60_000);
  afterAll(() => mt.close());

  it('offers the direct pairs and Spanish-pivot pairs in ISO 639-1 codes', () => {
    const pair = (from: string, to: string) =>
      mt.capabilities.pairs.find((p) => p.from === from && p.to === to);
    expect(pair('en', 'es')?.via).toEqual([]);
    expect(pair('en', 'ca')?.via).toEqual([]);
    for (const to of ['fr', 'pt', 'it']) expect(pair('en', to)?.via).toEqual(['es']);
    expect(pair('ca', 'fr')?.via).toEqual(['es']);
    expect(mt.capabilities.pairs.every((p) => /^[a-z]{2,3}$/.test(p.from) && /^[a-z]{2,3}$/.test(p.to))).toBe(
      true,
    );
  });

  it('passes markup characters through and drops unknown-word marks', async () => {
    const out = await mt.translate({ text: 'Tom & Jerry <3 see the zorblax.', from: 'en', to: 'es' });
    expect(out).toContain('Tom & Jerry <3');
    expect(out).toContain('zorblax');
    expect(out).not.toContain('*');
  });

  it('rejects an unknown pair with a non-recoverable EngineError naming the pair', async () => {
    const error = await mt.translate({ text: 'Hello', from: 'en', to: 'de' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).recoverable).toBe(false);
    expect(String(error)).toMatch(/en→de/);
  });

  it('honours an aborted signal', async () => {
    const abort = new AbortController();
    abort.abort();
    await expect(
      mt.translate({ text: 'Hello.', from: 'en', to: 'es', signal: abort.signal }),
    ).rejects.toThrow(/abort/i);
  });

  it('restarts apy after it is killed, and the next translation succeeds', async () => {
    const firstPid = mt.apyPid!;
    expect(processGroupMembers(firstPid).length).toBeGreaterThan(1); // apy + its en-es pipeline
    process.kill(firstPid, 'SIGKILL');
    const out = await mt.translate({ text: 'Good morning, my friends.', from: 'en', to: 'es' });
    expect(out).toMatch(/amigos/);
    expect(mt.apyPid).not.toBe(firstPid);
    expect(mt.apyStarts).toBe(2);
    // The old pipelines were not left running.
    expect(processGroupMembers(firstPid)).toEqual([]);
    expect(notices.some((n) => /SIGKILL.*restarting/.test(n))).toBe(true);
  }, 60_000);

  it('reports the memory of apy and its pipelines', () => {
    const { rssBytes, pssBytes } = mt.memory();
    expect(pssBytes).toBeGreaterThan(20 * 2 ** 20);
    expect(pssBytes).toBeLessThanOrEqual(rssBytes);
  });

  it('keeps concurrent translations apart', async () => {
    const sentences = ['One cat.', 'Two dogs.', 'Three houses.', 'Four cars.', 'Five trees.', 'Six books.'];
    const out = await Promise.all(sentences.map((text) => mt.translate({ text, from: 'en', to: 'es' })));
    expect(out).toEqual([
      'Un gato.',
      'Dos perros.',
      'Tres casas.',
      'Cuatro coches.',
      'Cinco árboles.',
      'Seis libros.',
    ]);
  });
});

describe('ApertiumMt lifecycle', () => {
  it('leaves no process behind after close()', async () => {
    const mt = new ApertiumMt();
    await mt.init();
    await mt.translate({ text: 'Hello.', from: 'en', to: 'fr' }); // starts two pipelines
    const pgid = mt.apyPid!;
    expect(processGroupMembers(pgid).length).toBeGreaterThan(2);
    await mt.close();
    expect(processGroupMembers(pgid)).toEqual([]);
    await expect(mt.translate({ text: 'Hello.', from: 'en', to: 'es' })).rejects.toBeInstanceOf(EngineError);
  }, 60_000);

  it('fails a request with a recoverable EngineError when apy is not back in time, then recovers', async () => {
    const mt = new ApertiumMt({ restartWaitMs: 1 });
    await mt.init();
    try {
      await mt.translate({ text: 'Hello.', from: 'en', to: 'es' });
      process.kill(mt.apyPid!, 'SIGKILL');
      const error = await mt.translate({ text: 'Hello.', from: 'en', to: 'es' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EngineError);
      expect((error as EngineError).recoverable).toBe(true);
      expect(String(error)).toMatch(/restarting/);
      let recovered: string | undefined;
      for (let attempt = 0; attempt < 300 && recovered === undefined; attempt++) {
        recovered = await mt.translate({ text: 'Hello.', from: 'en', to: 'es' }).catch(async () => {
          await new Promise((r) => setTimeout(r, 100));
          return undefined;
        });
      }
      expect(recovered).toBe('Hola.');
    } finally {
      await mt.close();
    }
  }, 60_000);

  it('is unavailable, with install advice, when apertium-apy is missing', async () => {
    const error = await new ApertiumMt({ apyPath: '/nonexistent/apertium-apy' })
      .init()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineUnavailableError);
    expect(String(error)).toMatch(/apt-get install apertium-apy/);
  });

  it('is unavailable when the modes directory holds no pairs', async () => {
    const error = await new ApertiumMt({ pairsPath: '/tmp' }).init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineUnavailableError);
    expect(String(error)).toMatch(/no language pairs/);
  }, 60_000);
});
