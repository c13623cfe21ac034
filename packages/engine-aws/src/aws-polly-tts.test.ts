import { EngineError } from '@babelcast/core/engines';
import { describeTtsConformance } from '@babelcast/core/testing';
import { BabelcastError, ErrorCode } from '@babelcast/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsPollyTts, type AwsPollyTtsOptions, prosodyAttributes } from './aws-polly-tts.ts';
import { FakeAwsHttp, TEST_CREDENTIALS, TEST_REGION } from './testing/fake-aws-http.ts';

// Everything here runs against the local fake Polly endpoint, never AWS.
let fake: FakeAwsHttp;
beforeAll(async () => {
  fake = await FakeAwsHttp.start();
});
afterAll(() => fake.close());

const options = (extra: AwsPollyTtsOptions = {}): AwsPollyTtsOptions => ({
  region: TEST_REGION,
  credentials: TEST_CREDENTIALS,
  endpoint: fake.h2Url,
  maxAttempts: 1,
  ...extra,
});

async function collect(chunks: AsyncIterable<{ samples: Int16Array; sampleRate: number }>) {
  const all: Int16Array[] = [];
  for await (const c of chunks) {
    expect(c.sampleRate).toBe(16000);
    all.push(c.samples);
  }
  return all;
}

describeTtsConformance('aws-polly (local fake endpoint)', () => new AwsPollyTts(options()), {
  language: 'es',
});

describe('AwsPollyTts', () => {
  const costs: number[] = [];
  let tts: AwsPollyTts;
  beforeAll(async () => {
    tts = new AwsPollyTts(options({ onCost: (usd) => costs.push(usd) }));
    await tts.init();
  });
  afterAll(() => tts.close());

  it('asks for 16 kHz PCM from the neural voice of the language, SigV4-signed for polly', async () => {
    fake.requests.length = 0;
    await collect(tts.synthesize({ text: 'Bonjour à tous.', language: 'fr' }));
    const req = fake.requests.at(-1)!;
    expect(req.path).toBe('/v1/speech');
    expect(req.signedService).toBe('polly');
    expect(req.signedRegion).toBe(TEST_REGION);
    expect(req.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDBABELCASTTEST\//);
    expect(req.body).toMatchObject({
      Engine: 'neural',
      VoiceId: 'Lea',
      LanguageCode: 'fr-FR',
      OutputFormat: 'pcm',
      SampleRate: '16000',
      TextType: 'text',
      Text: 'Bonjour à tous.',
    });
  });

  it('uses the standard engine for a standard-only voice and an override when given', async () => {
    fake.requests.length = 0;
    await collect(tts.synthesize({ text: 'Привет.', language: 'ru' }));
    expect(fake.requests.at(-1)!.body).toMatchObject({ Engine: 'standard', VoiceId: 'Tatyana' });
    const custom = new AwsPollyTts(
      options({ voices: { en: { voice: 'Matthew', languageCode: 'en-US', engine: 'neural' } } }),
    );
    await custom.init();
    await collect(custom.synthesize({ text: 'Hello.', language: 'en' }));
    expect(fake.requests.at(-1)!.body).toMatchObject({ VoiceId: 'Matthew', LanguageCode: 'en-US' });
    expect(custom.capabilities.languages).toContain('es');
    await custom.close();
  });

  it('yields the first audio while Polly is still sending the rest', async () => {
    let release!: () => void;
    fake.pollyGate = new Promise<void>((r) => {
      release = r;
    });
    try {
      const chunks: Int16Array[] = [];
      for await (const chunk of tts.synthesize({
        text: 'Una frase bastante larga para varios trozos.',
        language: 'es',
      })) {
        if (chunks.length === 0) {
          // Had the engine waited for the whole body, this would never be reached: the fake holds it back.
          expect(fake.pollyOpen).toBe(1);
          release();
        }
        chunks.push(chunk.samples);
      }
      expect(chunks.length).toBeGreaterThan(1);
    } finally {
      release();
      fake.pollyGate = undefined;
    }
  }, 10_000);

  it('re-joins samples split across network chunks', async () => {
    const chunks = await collect(tts.synthesize({ text: 'Hola.', language: 'es' }));
    const pcm = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      pcm.set(c, at);
      at += c.length;
    }
    // The fake's tone: any mis-joined byte pair would break this exact match.
    for (let i = 0; i < pcm.length; i += 97)
      expect(pcm[i]).toBe(Math.round(9000 * Math.sin((2 * Math.PI * 220 * i) / 16000)));
  });

  it('reports cost at $16 per million characters for neural voices, $4 for standard', async () => {
    costs.length = 0;
    await collect(tts.synthesize({ text: 'x'.repeat(100), language: 'en' }));
    await collect(tts.synthesize({ text: 'x'.repeat(100), language: 'ru' }));
    expect(costs[0]).toBeCloseTo(0.0016, 10);
    expect(costs[1]).toBeCloseTo(0.0004, 10);
  });

  it('speaks a rate change through SSML prosody, escaping the text, billed without tags', async () => {
    costs.length = 0;
    fake.requests.length = 0;
    await collect(tts.synthesize({ text: 'Tom & Jerry <3', language: 'en', rate: 1.25 }));
    expect(fake.requests.at(-1)!.body).toMatchObject({
      TextType: 'ssml',
      Text: '<speak><prosody rate="125%">Tom &amp; Jerry &lt;3</prosody></speak>',
    });
    // Billed on the count Polly reports (x-amzn-RequestCharacters); the fake strips tags, keeps entities.
    expect(costs[0]).toBeCloseTo((21 * 16) / 1e6, 10);
  });

  it("carries the speaker's loudness and pitch as SSML prosody (pitch only where the voice takes it)", () => {
    expect(prosodyAttributes({ rate: 1, volume: 1, pitch: 1 })).toBe('');
    expect(prosodyAttributes({ volume: 1.413 })).toBe('volume="+3dB"');
    expect(prosodyAttributes({ volume: 0.5 })).toBe('volume="-6dB"');
    expect(prosodyAttributes({ volume: 10 })).toBe('volume="+6dB"');
    expect(prosodyAttributes({ rate: 1.1, pitch: 0.94 })).toBe('rate="110%" pitch="-6%"');
  });

  it('sends volume through SSML, and no pitch to a neural voice', async () => {
    fake.requests.length = 0;
    await collect(tts.synthesize({ text: 'Hola.', language: 'es', volume: 0.5, pitch: 1.06 }));
    const sent = fake.requests.at(-1)!.body as { TextType: string; Text: string };
    expect(sent.TextType).toBe('ssml');
    expect(sent.Text).toContain('volume="-6dB"');
    // The default Spanish voice (Lucia) is neural.
    expect(sent.Text).not.toContain('pitch=');
  });

  it('maps throttling to recoverable and validation errors to non-recoverable EngineErrors', async () => {
    fake.failures.push({ status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    const throttled = await collect(tts.synthesize({ text: 'Hola.', language: 'es' })).catch(
      (e: unknown) => e,
    );
    expect(throttled).toBeInstanceOf(EngineError);
    expect((throttled as EngineError).recoverable).toBe(true);
    fake.failures.push({ status: 500, type: 'ServiceFailureException' });
    const failed = await collect(tts.synthesize({ text: 'Hola.', language: 'es' })).catch((e: unknown) => e);
    expect((failed as EngineError).recoverable).toBe(true);
    fake.failures.push({ status: 400, type: 'ValidationException', message: 'bad voice' });
    const invalid = await collect(tts.synthesize({ text: 'Hola.', language: 'es' })).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(EngineError);
    expect((invalid as EngineError).recoverable).toBe(false);
  });

  it('refuses a language list with a language it has no voice for', () => {
    expect(() => new AwsPollyTts(options({ languages: ['en', 'uk'] }))).toThrow(/no voice configured for uk/);
    const err = (() => {
      try {
        new AwsPollyTts(options({ languages: ['uk'] }));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(BabelcastError);
    expect((err as BabelcastError).code).toBe(ErrorCode.ENGINE_CONFIG);
  });
});
