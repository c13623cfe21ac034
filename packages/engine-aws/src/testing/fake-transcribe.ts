/**
 * A local stand-in for Amazon Transcribe Streaming's StartStreamTranscription over cleartext
 * HTTP/2 on 127.0.0.1, for tests only. It checks the request's SigV4 header signature and every
 * audio event's chained chunk signature (the "AWS4-HMAC-SHA256-PAYLOAD" event-stream signing),
 * decodes the AudioEvents, and answers with TranscriptEvents in the vnd.amazon.eventstream
 * framing while audio is still arriving.
 *
 * It does not recognise speech: every 100 ms of audio above a loudness threshold "hears" the next
 * word of a fixed script, partials grow as loud audio arrives, and closing the input gives the
 * whole script as the final result; silence gives no result. It is a model of AWS built from the
 * API reference, not AWS.
 */
import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/core/serde';
import type { Message, MessageHeaders } from '@smithy/types';
import { createServer, type Http2Server, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import type { IncomingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { SPEAKER_SAMPLE_RATE } from '@babelcast/protocol';
import { TEST_CREDENTIALS, TEST_REGION } from './fake-aws-http.ts';
import { hmac, sha256Hex, verifySigV4 } from './sigv4.ts';

export const FAKE_SCRIPT = 'Printing, in the only sense with which we are at present concerned.';

export interface RecordedTranscribeRequest {
  headers: IncomingHttpHeaders;
  signedService?: string;
  signedRegion?: string;
  audioEvents: number;
  audioBytes: number;
  /** Every event's :chunk-signature verified against the chain seeded by the request signature. */
  chunkSignaturesValid: boolean;
  /** The empty end-of-input frame arrived. */
  ended: boolean;
}

export interface ScriptedTranscribeFailure {
  /** HTTP error before the stream starts, or an exception event in the result stream. */
  where: 'http' | 'stream';
  status?: number;
  type: string;
  message?: string;
}

export class FakeTranscribe {
  readonly requests: RecordedTranscribeRequest[] = [];
  readonly failures: ScriptedTranscribeFailure[] = [];
  private readonly sessions = new Set<Http2Session>();
  private readonly codec = new EventStreamCodec(toUtf8, fromUtf8);

  private constructor(private readonly server: Http2Server) {
    server.on('session', (session) => {
      this.sessions.add(session);
      session.on('close', () => this.sessions.delete(session));
    });
    server.on('stream', (stream, headers) => {
      this.handle(stream, headers).catch(() => stream.close());
    });
  }

  static async start(): Promise<FakeTranscribe> {
    const fake = new FakeTranscribe(createServer());
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const session of this.sessions) session.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    const verdict = verifySigV4(
      { method: String(headers[':method']), path: String(headers[':path']), headers },
      { service: 'transcribe', region: TEST_REGION, ...TEST_CREDENTIALS },
    );
    const record: RecordedTranscribeRequest = {
      headers,
      signedService: verdict.credentialScope?.service,
      signedRegion: verdict.credentialScope?.region,
      audioEvents: 0,
      audioBytes: 0,
      chunkSignaturesValid: true,
      ended: false,
    };
    this.requests.push(record);
    if (headers[':path'] !== '/stream-transcription')
      return this.httpError(stream, 404, 'UnknownOperationException', 'no such operation');
    if (!verdict.ok) return this.httpError(stream, 403, verdict.error!, verdict.message!);
    if (
      headers['x-amzn-transcribe-sample-rate'] !== String(SPEAKER_SAMPLE_RATE) ||
      headers['x-amzn-transcribe-media-encoding'] !== 'pcm'
    )
      return this.httpError(stream, 400, 'BadRequestException', 'this fake takes 16 kHz pcm only');
    const failure = this.failures.shift();
    if (failure?.where === 'http')
      return this.httpError(stream, failure.status ?? 400, failure.type, failure.message ?? failure.type);

    stream.respond({
      ':status': 200,
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-request-id': 'fake-request',
      'x-amzn-transcribe-session-id': `fake-session-${this.requests.length}`,
      'x-amzn-transcribe-language-code': String(headers['x-amzn-transcribe-language-code'] ?? ''),
      'x-amzn-transcribe-sample-rate': String(SPEAKER_SAMPLE_RATE),
      'x-amzn-transcribe-media-encoding': 'pcm',
    });
    if (failure?.where === 'stream') {
      this.sendException(stream, failure.type, failure.message ?? failure.type);
      stream.end();
      return;
    }

    const words = FAKE_SCRIPT.split(' ');
    let heard = 0;
    let seconds = 0;
    let prior = verdict.signature!;
    let buffered = Buffer.alloc(0);
    for await (const data of stream) {
      buffered = Buffer.concat([buffered, data as Buffer]);
      while (buffered.length >= 4) {
        const total = buffered.readUInt32BE(0);
        if (buffered.length < total) break;
        const outer = this.codec.decode(buffered.subarray(0, total));
        buffered = buffered.subarray(total);
        const signature = this.checkChunkSignature(outer, prior, verdict.signingKey!);
        if (!signature) record.chunkSignaturesValid = false;
        prior = signature ?? prior;
        if (outer.body.length === 0) {
          record.ended = true;
          continue;
        }
        const inner = this.codec.decode(outer.body);
        if (inner.headers[':event-type']?.value !== 'AudioEvent') continue;
        record.audioEvents++;
        record.audioBytes += inner.body.length;
        seconds += inner.body.length / 2 / SPEAKER_SAMPLE_RATE;
        if (rms(inner.body) > 300 && heard < words.length) {
          heard++;
          this.sendResult(stream, { partial: true, text: words.slice(0, heard).join(' '), end: seconds });
        }
      }
    }
    if (heard > 0) this.sendResult(stream, { partial: false, text: FAKE_SCRIPT, end: seconds });
    stream.end();
  }

  /** Returns the event's signature (hex) when it is the right link in the chain, else undefined. */
  private checkChunkSignature(outer: Message, prior: string, signingKey: Buffer): string | undefined {
    const date = outer.headers[':date'];
    const sig = outer.headers[':chunk-signature'];
    if (date?.type !== 'timestamp' || sig?.type !== 'binary') return undefined;
    const when = new Date(Number(date.value));
    const amzDate = when
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    // The :date header in event-stream binary form: name length, name, type 8 (timestamp), int64 ms.
    const dateHeader = Buffer.alloc(1 + 5 + 1 + 8);
    dateHeader.writeUInt8(5, 0);
    dateHeader.write(':date', 1, 'utf8');
    dateHeader.writeUInt8(8, 6);
    dateHeader.writeBigInt64BE(BigInt(when.getTime()), 7);
    const scope = `${amzDate.slice(0, 8)}/${TEST_REGION}/transcribe/aws4_request`;
    const stringToSign = [
      'AWS4-HMAC-SHA256-PAYLOAD',
      amzDate,
      scope,
      prior,
      sha256Hex(dateHeader),
      sha256Hex(outer.body),
    ].join('\n');
    const expected = hmac(signingKey, stringToSign).toString('hex');
    return Buffer.from(sig.value).toString('hex') === expected ? expected : undefined;
  }

  private sendResult(stream: ServerHttp2Stream, r: { partial: boolean; text: string; end: number }): void {
    const words = r.text.split(' ');
    const step = r.end / Math.max(1, words.length);
    const items = words.map((w, i) => ({
      Type: 'pronunciation',
      Content: w.replace(/[,.]$/, ''),
      StartTime: i * step,
      EndTime: (i + 1) * step,
      Confidence: 0.9,
      Stable: !r.partial || i < words.length - 2,
    }));
    const body = {
      Transcript: {
        Results: [
          {
            ResultId: 'fake-result-1',
            StartTime: 0,
            EndTime: r.end,
            IsPartial: r.partial,
            ChannelId: 'ch_0',
            Alternatives: [{ Transcript: r.text, Items: items }],
          },
        ],
      },
    };
    this.sendMessage(
      stream,
      {
        ':message-type': { type: 'string', value: 'event' },
        ':event-type': { type: 'string', value: 'TranscriptEvent' },
        ':content-type': { type: 'string', value: 'application/json' },
      },
      body,
    );
  }

  private sendException(stream: ServerHttp2Stream, type: string, message: string): void {
    this.sendMessage(
      stream,
      {
        ':message-type': { type: 'string', value: 'exception' },
        ':exception-type': { type: 'string', value: type },
        ':content-type': { type: 'string', value: 'application/json' },
      },
      { Message: message },
    );
  }

  private sendMessage(stream: ServerHttp2Stream, headers: MessageHeaders, body: unknown): void {
    stream.write(this.codec.encode({ headers, body: fromUtf8(JSON.stringify(body)) }));
  }

  private httpError(stream: ServerHttp2Stream, status: number, type: string, message: string): void {
    stream.respond({
      ':status': status,
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-errortype': type,
      'x-amzn-request-id': 'fake-request',
    });
    stream.end(JSON.stringify({ __type: type, Message: message }));
  }
}

function rms(pcm: Uint8Array): number {
  const view = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  let sum = 0;
  const n = Math.floor(pcm.length / 2);
  for (let i = 0; i < n; i++) sum += view.getInt16(i * 2, true) ** 2;
  return n ? Math.sqrt(sum / n) : 0;
}
