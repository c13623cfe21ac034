/**
 * The fakes' signature check must hash the body it received: a client header that names the hash
 * of some other body must not make a tampered request pass.
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAwsHttp, TEST_CREDENTIALS, TEST_REGION } from './fake-aws-http.ts';
import { sha256Hex, verifySigV4 } from './sigv4.ts';

/** node:crypto in the shape the SDK signer wants. */
class Sha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret ? createHmac('sha256', bytes(secret)) : createHash('sha256');
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

const signer = new SignatureV4({
  service: 'translate',
  region: TEST_REGION,
  credentials: TEST_CREDENTIALS,
  sha256: Sha256,
});

const TARGET = 'AWSShineFrontendService_20170701.TranslateText';

/** A Translate request signed by the SDK's signer, optionally carrying x-amz-content-sha256. */
async function signed(host: string, body: string, withHashHeader: boolean) {
  const headers: Record<string, string> = {
    host,
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': TARGET,
  };
  if (withHashHeader) headers['x-amz-content-sha256'] = sha256Hex(body);
  const request = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: host.split(':')[0]!,
    port: Number(host.split(':')[1]),
    path: '/',
    headers,
    body,
  });
  return request.headers as Record<string, string>;
}

const lower = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));

const expectation = { service: 'translate', region: TEST_REGION, ...TEST_CREDENTIALS };
const original = JSON.stringify({ Text: 'Hello.', SourceLanguageCode: 'en', TargetLanguageCode: 'es' });
const tampered = JSON.stringify({ Text: 'Transfer.', SourceLanguageCode: 'en', TargetLanguageCode: 'es' });

describe('verifySigV4', () => {
  it('accepts the body that was signed, with or without x-amz-content-sha256', async () => {
    for (const withHashHeader of [false, true]) {
      const headers = lower(await signed('127.0.0.1:4000', original, withHashHeader));
      const verdict = verifySigV4(
        { method: 'POST', path: '/', headers, body: Buffer.from(original) },
        expectation,
      );
      expect(verdict.ok).toBe(true);
    }
  });

  it('refuses a tampered body even when the header names the original body hash', async () => {
    const headers = lower(await signed('127.0.0.1:4000', original, true));
    const verdict = verifySigV4(
      { method: 'POST', path: '/', headers, body: Buffer.from(tampered) },
      expectation,
    );
    expect(verdict.ok).toBe(false);
    expect(verdict.error).toBe('InvalidSignatureException');
  });

  it('refuses a tampered body whose hash header was updated too (the signature covers the hash)', async () => {
    const headers = lower(await signed('127.0.0.1:4000', original, true));
    headers['x-amz-content-sha256'] = sha256Hex(tampered);
    const verdict = verifySigV4(
      { method: 'POST', path: '/', headers, body: Buffer.from(tampered) },
      expectation,
    );
    expect(verdict.ok).toBe(false);
  });

  it('refuses a bodiless request that does not sign a streaming payload', async () => {
    const headers = lower(await signed('127.0.0.1:4000', '', true));
    const verdict = verifySigV4({ method: 'POST', path: '/', headers }, expectation);
    expect(verdict.ok).toBe(false);
  });
});

describe('the fake Translate endpoint', () => {
  let fake: FakeAwsHttp;
  beforeAll(async () => {
    fake = await FakeAwsHttp.start();
  });
  afterAll(() => fake.close());

  const post = async (headers: Record<string, string>, body: string) => {
    const res = await fetch(`${fake.url}/`, { method: 'POST', headers, body });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('translates the signed body and refuses a tampered one with 403', async () => {
    const host = new URL(fake.url).host;
    const headers = await signed(host, original, true);
    const { host: _host, ...sendable } = headers;
    const ok = await post(sendable, original);
    expect(ok.status).toBe(200);
    expect(ok.body.TranslatedText).toBe('[es] Hello.');
    const refused = await post(sendable, tampered);
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).toMatch(/InvalidSignature|does not match/);
  });
});
