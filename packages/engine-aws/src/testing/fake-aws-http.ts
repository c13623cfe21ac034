/**
 * A local stand-in for Amazon Translate (JSON 1.1: POST / with X-Amz-Target) and Amazon Polly
 * (REST-JSON: POST /v1/speech) on 127.0.0.1, for tests only, over HTTP/1.1 (`url`, what the Translate
 * client uses) and cleartext HTTP/2 (`h2Url`, what the Polly client uses by default). It answers the two calls the engines
 * make, in AWS's wire format (including its error format), and refuses any request whose SigV4
 * signature does not verify for the service, region and test keys. It is a model of AWS built
 * from the API reference, not AWS: passing tests here do not prove the real services agree.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  createServer as createH2Server,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from 'node:http2';
import type { AddressInfo } from 'node:net';

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;
import { verifySigV4 } from './sigv4.ts';

export const TEST_CREDENTIALS = {
  accessKeyId: 'AKIDBABELCASTTEST',
  secretAccessKey: 'babelcast-test-secret',
};
export const TEST_REGION = 'eu-west-1';
/** Polly renders pcm at 8000 or 16000 Hz; this fake only at the rate the engine asks for. */
const FAKE_PCM_RATE = 16_000;

const TRANSLATE_TARGET = 'AWSShineFrontendService_20170701.TranslateText';

export interface RecordedAwsRequest {
  service: 'translate' | 'polly' | 'unknown';
  path: string;
  authorization?: string;
  signedService?: string;
  signedRegion?: string;
  body: unknown;
}

export interface ScriptedFailure {
  status: number;
  /** AWS error name, e.g. "TooManyRequestsException". */
  type: string;
  message?: string;
}

export interface FakeAwsHttpOptions {
  region?: string;
  /** Languages the fake Translate accepts; others get UnsupportedLanguagePairException. */
  translateLanguages?: string[];
}

export class FakeAwsHttp {
  readonly requests: RecordedAwsRequest[] = [];
  /** Consumed one per request, before the request is handled (after the signature check). */
  readonly failures: ScriptedFailure[] = [];
  /** When set, Polly sends its first audio piece and then waits for this before the rest. */
  pollyGate: Promise<void> | undefined;
  /** Polly responses still being written. */
  pollyOpen = 0;
  private readonly region: string;
  private readonly translateLanguages: Set<string> | undefined;

  private readonly sessions = new Set<Http2Session>();

  private constructor(
    private readonly server: Server,
    private readonly h2server: Http2Server,
    options: FakeAwsHttpOptions,
  ) {
    this.region = options.region ?? TEST_REGION;
    this.translateLanguages = options.translateLanguages ? new Set(options.translateLanguages) : undefined;
    const onRequest = (req: Request, res: Response) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.error(res, 500, 'InternalServerException', String(err));
        else res.destroy();
      });
    };
    server.on('request', onRequest);
    h2server.on('request', onRequest);
    h2server.on('session', (session) => {
      this.sessions.add(session);
      session.on('close', () => this.sessions.delete(session));
    });
  }

  static async start(options: FakeAwsHttpOptions = {}): Promise<FakeAwsHttp> {
    const server = createServer();
    const h2server = createH2Server();
    const fake = new FakeAwsHttp(server, h2server, options);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => h2server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** HTTP/1.1. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Cleartext HTTP/2 (h2c with prior knowledge, as the SDK's HTTP/2 handler speaks to an http:// endpoint). */
  get h2Url(): string {
    return `http://127.0.0.1:${(this.h2server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    for (const session of this.sessions) session.destroy();
    await Promise.all([
      new Promise<void>((resolve) => this.server.close(() => resolve())),
      new Promise<void>((resolve) => this.h2server.close(() => resolve())),
    ]);
  }

  private async handle(req: Request, res: Response): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const target = req.headers['x-amz-target'];
    const service =
      target === TRANSLATE_TARGET ? 'translate' : req.url === '/v1/speech' ? 'polly' : 'unknown';
    let body: unknown;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : {};
    } catch {
      body = raw.toString('utf8');
    }
    const verdict = verifySigV4(
      { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: raw },
      { service, region: this.region, ...TEST_CREDENTIALS },
    );
    this.requests.push({
      service,
      path: req.url ?? '/',
      authorization: req.headers.authorization,
      signedService: verdict.credentialScope?.service,
      signedRegion: verdict.credentialScope?.region,
      body,
    });
    if (service === 'unknown') {
      this.error(res, 404, 'UnknownOperationException', `no such operation`);
      return;
    }
    if (!verdict.ok) {
      this.error(res, 403, verdict.error!, verdict.message!);
      return;
    }
    const failure = this.failures.shift();
    if (failure) {
      this.error(res, failure.status, failure.type, failure.message ?? failure.type);
      return;
    }
    if (service === 'translate') return this.translate(body as Record<string, unknown>, res);
    return this.polly(body as Record<string, unknown>, res);
  }

  private translate(body: Record<string, unknown>, res: Response): void {
    const { Text, SourceLanguageCode: from, TargetLanguageCode: to } = body;
    if (typeof Text !== 'string' || typeof from !== 'string' || typeof to !== 'string') {
      this.error(
        res,
        400,
        'ValidationException',
        'Text, SourceLanguageCode and TargetLanguageCode are required',
      );
      return;
    }
    if (this.translateLanguages && (!this.translateLanguages.has(from) || !this.translateLanguages.has(to))) {
      this.error(
        res,
        400,
        'UnsupportedLanguagePairException',
        `Unsupported language pair: ${from} to ${to}.`,
      );
      return;
    }
    const known: Record<string, string> = { 'en>es:The house is big.': 'La casa es grande.' };
    const TranslatedText = known[`${from}>${to}:${Text}`] ?? `[${to}] ${Text}`;
    this.json(res, 200, { TranslatedText, SourceLanguageCode: from, TargetLanguageCode: to });
  }

  private async polly(body: Record<string, unknown>, res: Response): Promise<void> {
    const { Text, VoiceId, OutputFormat, SampleRate, TextType } = body;
    if (typeof Text !== 'string' || !Text || typeof VoiceId !== 'string' || !VoiceId) {
      this.error(res, 400, 'ValidationException', 'Text and VoiceId are required');
      return;
    }
    if (OutputFormat !== 'pcm' || SampleRate !== String(FAKE_PCM_RATE)) {
      this.error(res, 400, 'ValidationException', `this fake only renders pcm at ${FAKE_PCM_RATE} Hz`);
      return;
    }
    const spoken = TextType === 'ssml' ? Text.replace(/<[^>]+>/g, '') : Text;
    // 60 ms of a 220 Hz tone per character: plausible sentence lengths for the conformance suite.
    const samples = Math.max(8000, spoken.length * 960);
    const pcm = Buffer.alloc(samples * 2);
    for (let i = 0; i < samples; i++)
      pcm.writeInt16LE(Math.round(9000 * Math.sin((2 * Math.PI * 220 * i) / FAKE_PCM_RATE)), i * 2);
    res.writeHead(200, {
      'content-type': 'audio/pcm',
      'x-amzn-requestcharacters': String(spoken.length),
      'x-amzn-requestid': 'fake-request',
    });
    this.pollyOpen++;
    try {
      // Odd-sized pieces: the engine must re-join samples split across network chunks.
      const piece = 4001;
      for (let at = 0; at < pcm.length; at += piece) {
        await new Promise<void>((resolve) => {
          (res as ServerResponse).write(pcm.subarray(at, at + piece), () => resolve());
        });
        if (at === 0 && this.pollyGate) await this.pollyGate;
      }
    } finally {
      this.pollyOpen--;
      res.end();
    }
  }

  private json(res: Response, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': 'fake-request',
    });
    res.end(text);
  }

  private error(res: Response, status: number, type: string, message: string): void {
    const text = JSON.stringify({ __type: type, message });
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(text),
      'x-amzn-errortype': type,
      'x-amzn-requestid': 'fake-request',
    });
    res.end(text);
  }
}
