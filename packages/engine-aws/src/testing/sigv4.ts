/**
 * An independent SigV4 header-signature check for the local fakes (written from the AWS
 * "Signature Version 4 signing process" description, not with the SDK's signer), so a test fails
 * if the SDK sends something other than what it signed, or signs for the wrong service or region.
 */
import { createHash, createHmac } from 'node:crypto';

export interface SigV4Expectation {
  service: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SigV4Request {
  method: string;
  path: string;
  /** Lower-case header names, as node gives them. */
  headers: Record<string, string | string[] | undefined>;
  /**
   * The whole body as received. When given, the payload hash is computed from it, and an
   * x-amz-content-sha256 header must agree with it. Leave it out only for an event-stream request
   * (Transcribe), whose body is not known up front: its header must then name the streaming
   * payload, and each chunk carries its own signature, checked by the caller.
   */
  body?: Buffer;
}

export interface SigV4Verdict {
  ok: boolean;
  /** AWS's error name when not ok. */
  error?: 'MissingAuthenticationTokenException' | 'InvalidSignatureException' | 'UnrecognizedClientException';
  message?: string;
  /** From the Authorization header, for assertions. */
  credentialScope?: { accessKeyId: string; date: string; region: string; service: string };
  signature?: string;
  signingKey?: Buffer;
  amzDate?: string;
}

/** x-amz-content-sha256 values that stand for a body signed chunk by chunk. */
const STREAMING_PAYLOADS = new Set(['STREAMING-AWS4-HMAC-SHA256-EVENTS']);

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

type CredentialScope = NonNullable<SigV4Verdict['credentialScope']>;

/** What the Authorization header claims, once it names the expected key, service and region. */
interface Claim {
  scope: CredentialScope;
  signedHeaders: string;
  signature: string;
  amzDate: string;
}

export function verifySigV4(req: SigV4Request, expect: SigV4Expectation): SigV4Verdict {
  const claim = readClaim(req, expect);
  if ('ok' in claim) return claim;
  const { scope, signedHeaders, signature, amzDate } = claim;
  const fail = (message: string): SigV4Verdict => ({
    ok: false,
    error: 'InvalidSignatureException',
    message,
    credentialScope: scope,
  });
  const payload = payloadHash(req);
  if ('refused' in payload) return fail(payload.refused);
  const request = canonicalRequest(req, signedHeaders, payload.hash);
  const scopeText = `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scopeText, sha256Hex(request)].join('\n');
  const signingKey = deriveSigningKey(expect.secretAccessKey, scope.date, scope.region, scope.service);
  if (hmac(signingKey, stringToSign).toString('hex') !== signature)
    return fail('The request signature we calculated does not match the signature you provided.');
  return { ok: true, credentialScope: scope, signature, signingKey, amzDate };
}

/** The Authorization header and x-amz-date, checked against the expected credentials; else AWS's refusal. */
function readClaim(req: SigV4Request, expect: SigV4Expectation): Claim | SigV4Verdict {
  const header = single(req.headers.authorization);
  if (!header)
    return {
      ok: false,
      error: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    };
  const m = AUTH.exec(header);
  if (!m)
    return { ok: false, error: 'InvalidSignatureException', message: `malformed Authorization: ${header}` };
  const [, accessKeyId, date, region, service, signedHeaders, signature] = m as unknown as string[];
  const scope = { accessKeyId: accessKeyId!, date: date!, region: region!, service: service! };
  const fail = (error: SigV4Verdict['error'], message: string): SigV4Verdict => ({
    ok: false,
    error,
    message,
    credentialScope: scope,
  });
  if (accessKeyId !== expect.accessKeyId)
    return fail('UnrecognizedClientException', 'The security token included in the request is invalid.');
  if (service !== expect.service)
    return fail(
      'InvalidSignatureException',
      `Credential should be scoped to correct service: '${expect.service}'.`,
    );
  if (region !== expect.region)
    return fail(
      'InvalidSignatureException',
      `Credential should be scoped to a valid region: '${expect.region}'.`,
    );
  const amzDate = single(req.headers['x-amz-date']);
  if (!amzDate?.startsWith(date!))
    return fail('InvalidSignatureException', 'x-amz-date missing or not the scope date');
  return { scope, signedHeaders: signedHeaders!, signature: signature!, amzDate };
}

/** The payload hash to sign: of the body that arrived, or the streaming marker of an event stream. */
function payloadHash(req: SigV4Request): { hash: string } | { refused: string } {
  const claimed = single(req.headers['x-amz-content-sha256']);
  if (req.body === undefined) {
    if (!claimed || !STREAMING_PAYLOADS.has(claimed))
      return {
        refused: 'a request without a body to hash must sign a streaming payload (x-amz-content-sha256)',
      };
    return { hash: claimed };
  }
  // Hash what arrived: the client's own header is a claim, not evidence.
  const hash = sha256Hex(req.body);
  if (claimed !== undefined && claimed !== hash)
    return { refused: 'The provided x-amz-content-sha256 header does not match what was computed.' };
  return { hash };
}

function canonicalRequest(req: SigV4Request, signedHeaders: string, payloadHash: string): string {
  const headers = signedHeaders
    .split(';')
    .map((name) => {
      const value =
        name === 'host'
          ? (single(req.headers.host) ?? single(req.headers[':authority']))
          : single(req.headers[name]);
      return `${name}:${(value ?? '').trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const [path, query = ''] = req.path.split('?') as [string, string?];
  const canonicalPath = path
    .split('/')
    .map((s) => encodeRfc3986(encodeRfc3986(decodeURIComponent(s))))
    .join('/');
  return [req.method, canonicalPath, canonicalQuery(query), headers, signedHeaders, payloadHash].join('\n');
}

export function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = hmac(Buffer.from(`AWS4${secret}`), date);
  return hmac(hmac(hmac(kDate, region), service), 'aws4_request');
}

export function hmac(key: Buffer, data: string | Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

export function sha256Hex(data: string | Buffer | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(query: string): string {
  if (!query) return '';
  return query
    .split('&')
    .map((kv) => kv.split('=').map((p) => encodeRfc3986(decodeURIComponent(p ?? ''))) as [string, string?])
    .sort(([a, av = ''], [b, bv = '']) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : 1))
    .map(([k, v = '']) => `${k}=${v}`)
    .join('&');
}
