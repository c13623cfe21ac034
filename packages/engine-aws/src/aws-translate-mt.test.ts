import { EngineError, EngineUnavailableError } from '@babelcast/core/engines';
import { describeMtConformance } from '@babelcast/core/testing';
import { createServer as createNetServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsTranslateMt, type AwsTranslateMtOptions } from './aws-translate-mt.ts';
import { FakeAwsHttp, TEST_CREDENTIALS, TEST_REGION } from './testing/fake-aws-http.ts';

// Everything here runs against the local fake Translate endpoint, never AWS.
let fake: FakeAwsHttp;
beforeAll(async () => {
  fake = await FakeAwsHttp.start({ translateLanguages: ['en', 'es', 'fr', 'de'] });
});
afterAll(() => fake.close());

const options = (extra: AwsTranslateMtOptions = {}): AwsTranslateMtOptions => ({
  region: TEST_REGION,
  credentials: TEST_CREDENTIALS,
  endpoint: fake.url,
  maxAttempts: 1,
  ...extra,
});

describeMtConformance('aws-translate (local fake endpoint)', () => new AwsTranslateMt(options()), {
  pair: ['en', 'es'],
  sample: { text: 'The house is big.', expect: /^La casa es grande\.$/ },
});

describe('AwsTranslateMt', () => {
  const costs: number[] = [];
  let mt: AwsTranslateMt;
  beforeAll(async () => {
    mt = new AwsTranslateMt(options({ onCost: (usd) => costs.push(usd) }));
    await mt.init();
  });
  afterAll(() => mt.close());

  it('offers the documented languages all-to-all, direct', () => {
    const pair = (from: string, to: string) =>
      mt.capabilities.pairs.find((p) => p.from === from && p.to === to);
    for (const [from, to] of [
      ['en', 'uk'],
      ['ja', 'pt'],
      ['ca', 'zh'],
      ['vi', 'ar'],
      ['ko', 'hi'],
    ] as const)
      expect(pair(from, to)?.via).toEqual([]);
    expect(pair('en', 'en')).toBeUndefined();
    expect(mt.capabilities.pairs.every((p) => /^[a-z]{2}$/.test(p.from) && /^[a-z]{2}$/.test(p.to))).toBe(
      true,
    );
  });

  it('sends a SigV4-signed TranslateText for the translate service and region', async () => {
    fake.requests.length = 0;
    expect(await mt.translate({ text: 'Good morning.', from: 'en', to: 'fr' })).toBe('[fr] Good morning.');
    const req = fake.requests.at(-1)!;
    expect(req.service).toBe('translate');
    expect(req.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDBABELCASTTEST\//);
    expect(req.signedService).toBe('translate');
    expect(req.signedRegion).toBe(TEST_REGION);
    expect(req.body).toMatchObject({
      Text: 'Good morning.',
      SourceLanguageCode: 'en',
      TargetLanguageCode: 'fr',
    });
  });

  it('reports cost at $15 per million source characters', async () => {
    costs.length = 0;
    await mt.translate({ text: 'x'.repeat(1000), from: 'en', to: 'de' });
    expect(costs).toHaveLength(1);
    expect(costs[0]).toBeCloseTo(0.015, 10);
  });

  it('maps AWS refusing the pair to a non-recoverable EngineError', async () => {
    // "it" is in our list but this fake does not accept it, as AWS would for a pair it dropped.
    const err = await mt.translate({ text: 'Hello.', from: 'en', to: 'it' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).recoverable).toBe(false);
    expect(String(err)).toMatch(/UnsupportedLanguagePairException/);
  });

  it('maps throttling and 5xx to recoverable EngineErrors (after the SDK retries)', async () => {
    for (const failure of [
      { status: 429, type: 'TooManyRequestsException' },
      { status: 503, type: 'ServiceUnavailableException' },
      { status: 500, type: 'InternalServerException' },
    ]) {
      fake.failures.push(failure);
      const err = await mt.translate({ text: 'Hello.', from: 'en', to: 'es' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EngineError);
      expect((err as EngineError).recoverable).toBe(true);
      expect(String(err)).toContain(failure.type);
    }
  });

  it('retries throttling up to maxAttempts and then succeeds', async () => {
    const retrying = new AwsTranslateMt(options({ maxAttempts: 3 }));
    await retrying.init();
    fake.failures.push({ status: 429, type: 'TooManyRequestsException' });
    const before = fake.requests.length;
    expect(await retrying.translate({ text: 'Hi.', from: 'en', to: 'es' })).toBe('[es] Hi.');
    expect(fake.requests.length - before).toBe(2);
    await retrying.close();
  });

  it('maps wrong credentials to a non-recoverable EngineError', async () => {
    const wrong = new AwsTranslateMt(
      options({ credentials: { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'wrong' } }),
    );
    await wrong.init();
    const err = await wrong.translate({ text: 'Hello.', from: 'en', to: 'es' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).recoverable).toBe(false);
    expect(String(err)).toMatch(/InvalidSignatureException/);
    await wrong.close();
  });

  it('maps a timeout to a recoverable EngineError', async () => {
    const sockets: Socket[] = [];
    const silent = createNetServer((socket) => sockets.push(socket)); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const slow = new AwsTranslateMt(options({ endpoint: `http://127.0.0.1:${port}`, requestTimeoutMs: 300 }));
    await slow.init();
    const err = await slow.translate({ text: 'Hello.', from: 'en', to: 'es' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).recoverable).toBe(true);
    await slow.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  it('honours an aborted signal without calling AWS', async () => {
    const abort = new AbortController();
    abort.abort();
    const before = fake.requests.length;
    await expect(
      mt.translate({ text: 'Hello.', from: 'en', to: 'es', signal: abort.signal }),
    ).rejects.toThrow(/abort/i);
    expect(fake.requests.length).toBe(before);
  });

  it('init() fails with EngineUnavailableError when no credentials can be found', async () => {
    const saved = { ...process.env };
    try {
      for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
      process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
      process.env.AWS_CONFIG_FILE = '/nonexistent/config';
      // Keep the instance-metadata probe off the network: this machine is not on EC2.
      process.env.AWS_EC2_METADATA_DISABLED = 'true';
      const bare = new AwsTranslateMt({ region: TEST_REGION, endpoint: fake.url });
      const err = await bare.init().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EngineUnavailableError);
      expect(String(err)).toMatch(/no AWS credentials found/);
      const noRegion = new AwsTranslateMt({ credentials: TEST_CREDENTIALS, endpoint: fake.url });
      const regionErr = await noRegion.init().catch((e: unknown) => e);
      expect(regionErr).toBeInstanceOf(EngineUnavailableError);
      expect(String(regionErr)).toMatch(/no AWS region/);
    } finally {
      process.env = saved;
    }
  }, 20_000);
});
