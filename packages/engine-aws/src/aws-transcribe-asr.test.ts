import { EngineError } from '@babelcast/core/engines';
import { describeAsrConformance } from '@babelcast/core/testing';
import { BabelcastError, ErrorCode, SPEAKER_SAMPLE_RATE } from '@babelcast/protocol';
import type {
  StartStreamTranscriptionCommand,
  StartStreamTranscriptionCommandOutput,
  TranscriptResultStream,
} from '@aws-sdk/client-transcribe-streaming';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AwsTranscribeAsr,
  type AwsTranscribeAsrOptions,
  type TranscribeSender,
} from './aws-transcribe-asr.ts';
import { TEST_CREDENTIALS, TEST_REGION } from './testing/fake-aws-http.ts';
import { FAKE_SCRIPT, FakeTranscribe } from './testing/fake-transcribe.ts';

// Everything here runs against the local fake HTTP/2 Transcribe endpoint or an injected client, never AWS.
let fake: FakeTranscribe;
beforeAll(async () => {
  fake = await FakeTranscribe.start();
});
afterAll(() => fake.close());

const options = (extra: AwsTranscribeAsrOptions = {}): AwsTranscribeAsrOptions => ({
  region: TEST_REGION,
  credentials: TEST_CREDENTIALS,
  endpoint: fake.url,
  maxAttempts: 1,
  ...extra,
});

function tone(samples: number, amplitude = 6000): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++)
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 200 * i) / SPEAKER_SAMPLE_RATE));
  return out;
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describeAsrConformance('aws-transcribe (local fake HTTP/2 endpoint)', () => new AwsTranscribeAsr(options()));

describe('AwsTranscribeAsr over HTTP/2 event streams', () => {
  const costs: number[] = [];
  let asr: AwsTranscribeAsr;
  beforeAll(async () => {
    asr = new AwsTranscribeAsr(options({ onCost: (usd) => costs.push(usd) }));
    await asr.init();
  });
  afterAll(() => asr.close());

  it('sends one signed request per utterance with 16 kHz pcm and stabilised partials', async () => {
    fake.requests.length = 0;
    const stream = asr.createStream({ language: 'fr' });
    for (let i = 0; i < 10; i++) stream.write(tone(512));
    await stream.finishUtterance();
    stream.write(tone(3200));
    await stream.finishUtterance();
    stream.close();
    expect(fake.requests).toHaveLength(2);
    const req = fake.requests[0]!;
    expect(req.signedService).toBe('transcribe');
    expect(req.signedRegion).toBe(TEST_REGION);
    expect(req.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDBABELCASTTEST\//);
    expect(req.headers['x-amzn-transcribe-language-code']).toBe('fr-FR');
    expect(req.headers['x-amzn-transcribe-sample-rate']).toBe('16000');
    expect(req.headers['x-amzn-transcribe-media-encoding']).toBe('pcm');
    expect(req.headers['x-amzn-transcribe-enable-partial-results-stabilization']).toBe('true');
    expect(req.headers['x-amzn-transcribe-partial-results-stability']).toBe('high');
    // 5120 samples in ~100 ms AudioEvents (2048 + 2048 + the last 1024), each chained-signed, then the end frame.
    expect(req.audioBytes).toBe(5120 * 2);
    expect(req.audioEvents).toBe(3);
    expect(req.chunkSignaturesValid).toBe(true);
    expect(req.ended).toBe(true);
  });

  it('delivers partials while audio is still being written, then the punctuated final with words', async () => {
    const partials: string[] = [];
    const stream = asr.createStream({ language: 'en', onEvent: (e) => partials.push(e.text) });
    stream.write(tone(3200));
    await until(() => partials.length > 0);
    expect(FAKE_SCRIPT.startsWith(partials[0]!)).toBe(true);
    stream.write(tone(3200));
    const result = await stream.finishUtterance();
    expect(result.text).toBe(FAKE_SCRIPT);
    expect(result.words?.[0]).toMatchObject({ word: 'Printing', startMs: 0 });
    expect(result.confidence).toBeCloseTo(0.9);
    stream.close();
  });

  it('reports cost per request at $0.024 a minute with the 15 s minimum', async () => {
    costs.length = 0;
    const stream = asr.createStream({ language: 'en' });
    stream.write(tone(SPEAKER_SAMPLE_RATE)); // 1 s → billed as 15 s
    await stream.finishUtterance();
    await stream.finishUtterance(); // nothing written: no request, no cost
    stream.close();
    expect(costs).toHaveLength(1);
    expect(costs[0]).toBeCloseTo((15 / 60) * 0.024, 10);
  });

  it('maps a throttled start to a recoverable EngineError and a bad request to a non-recoverable one', async () => {
    const stream = asr.createStream({ language: 'en' });
    fake.failures.push({ where: 'http', status: 429, type: 'LimitExceededException' });
    stream.write(tone(1600));
    const throttled = await stream.finishUtterance().catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(EngineError);
    expect((throttled as EngineError).recoverable).toBe(true);
    fake.failures.push({ where: 'stream', type: 'BadRequestException', message: 'audio too fast' });
    stream.write(tone(1600));
    const bad = await stream.finishUtterance().catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(EngineError);
    expect((bad as EngineError).recoverable).toBe(false);
    expect(String(bad)).toMatch(/BadRequestException/);
    // The stream stays usable for the next utterance.
    stream.write(tone(3200));
    expect((await stream.finishUtterance()).text).toBe(FAKE_SCRIPT);
    stream.close();
  });

  it('refuses a language it has no Transcribe code for', () => {
    expect(() => asr.createStream({ language: 'xx' })).toThrow(EngineError);
  });

  it('refuses a language list with a language it has no Transcribe code for (a config mistake)', () => {
    const made = (() => {
      try {
        return new AwsTranscribeAsr(options({ languages: ['en', 'xx'] }));
      } catch (e) {
        return e;
      }
    })();
    expect(made).toBeInstanceOf(BabelcastError);
    expect((made as BabelcastError).code).toBe(ErrorCode.ENGINE_CONFIG);
    expect(String(made)).toMatch(/no LanguageCode for xx/);
  });
});

describe('AwsTranscribeAsr adapter with an injected client', () => {
  /** Consumes the AudioStream like the service would and yields scripted events per chunk. */
  function scriptedClient(events: (chunk: number) => TranscriptResultStream[]): TranscribeSender & {
    chunks: number[];
  } {
    const chunks: number[] = [];
    return {
      chunks,
      config: {
        region: async () => TEST_REGION,
        credentials: async () => TEST_CREDENTIALS,
      },
      destroy() {},
      async send(command: StartStreamTranscriptionCommand) {
        const input = command.input;
        async function* results(): AsyncIterable<TranscriptResultStream> {
          let n = 0;
          for await (const event of input.AudioStream ?? []) {
            chunks.push(event.AudioEvent?.AudioChunk?.length ?? 0);
            yield* events(n++);
          }
          yield* events(-1);
        }
        return { $metadata: {}, TranscriptResultStream: results() } as StartStreamTranscriptionCommandOutput;
      },
    };
  }

  const result = (id: string, text: string, partial: boolean): TranscriptResultStream => ({
    TranscriptEvent: {
      Transcript: { Results: [{ ResultId: id, IsPartial: partial, Alternatives: [{ Transcript: text }] }] },
    },
  });

  it('joins several final segments and shows finals plus the current draft as the partial', async () => {
    const client = scriptedClient((n) => {
      if (n === 0) return [result('a', 'Hello', true)];
      if (n === 1) return [result('a', 'Hello there.', false), result('b', 'How', true)];
      if (n === -1) return [result('b', 'How are you?', false)];
      return [];
    });
    const asr = new AwsTranscribeAsr({ client });
    await asr.init();
    const partials: string[] = [];
    const stream = asr.createStream({ language: 'en', onEvent: (e) => partials.push(e.text) });
    stream.write(tone(1600));
    stream.write(tone(1600));
    const out = await stream.finishUtterance();
    expect(out.text).toBe('Hello there. How are you?');
    expect(partials).toEqual(['Hello', 'Hello there.', 'Hello there. How', 'Hello there. How are you?']);
    expect(client.chunks).toEqual([3200, 3200]);
    await asr.close();
  });

  it('coalesces small writes into ~100 ms AudioEvents and flushes the rest at the end', async () => {
    const client = scriptedClient(() => []);
    const asr = new AwsTranscribeAsr({ client });
    await asr.init();
    const stream = asr.createStream({ language: 'en' });
    for (let i = 0; i < 7; i++) stream.write(tone(512)); // 3584 samples
    expect((await stream.finishUtterance()).text).toBe('');
    // 4 × 512 samples reach the 1600-sample threshold; the remaining 3 go out when the input ends.
    expect(client.chunks).toEqual([2048 * 2, 1536 * 2]);
    await asr.close();
  });

  it('close() during an utterance ends the request without an unhandled rejection', async () => {
    const client = scriptedClient(() => []);
    const asr = new AwsTranscribeAsr({ client });
    await asr.init();
    const stream = asr.createStream({ language: 'en' });
    stream.write(tone(800));
    stream.close();
    stream.write(tone(800)); // ignored after close
    await new Promise((r) => setTimeout(r, 20));
    await asr.close();
  });
});
