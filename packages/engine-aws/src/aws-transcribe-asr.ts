import {
  type AsrCapabilities,
  type AsrEngine,
  type AsrEvent,
  type AsrFinal,
  type AsrStream,
  type AsrStreamOptions,
  type AsrWord,
  EngineError,
} from '@babelcast/core/engines';
import { SPEAKER_SAMPLE_RATE } from '@babelcast/protocol';
import {
  type AudioStream,
  type LanguageCode,
  type Result,
  StartStreamTranscriptionCommand,
  type StartStreamTranscriptionCommandOutput,
  TranscribeStreamingClient,
} from '@aws-sdk/client-transcribe-streaming';
import {
  type AwsClientOptions,
  http2HandlerConfig,
  type ResolvableClientConfig,
  sdkClientConfig,
  toEngineError,
} from './aws-client.ts';
import { AwsEngine, offeredLanguages } from './aws-engine.ts';

/** The slice of TranscribeStreamingClient the engine uses; tests may pass their own. */
export interface TranscribeSender {
  send(
    command: StartStreamTranscriptionCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<StartStreamTranscriptionCommandOutput>;
  config: ResolvableClientConfig;
  destroy(): void;
}

export interface AwsTranscribeAsrOptions extends AwsClientOptions {
  /** Babelcast language → Transcribe LanguageCode, merged over DEFAULT_TRANSCRIBE_LANGUAGES. */
  languageCodes?: Record<string, string>;
  /** Offer only these languages. Default: every key of the merged table. */
  languages?: string[];
  /** How much Transcribe may still revise partial words: lower is steadier captions, less accurate. Default "high". */
  partialResultsStability?: 'low' | 'medium' | 'high';
  /** Use this client instead of building one (tests, or a client with custom middleware). */
  client?: TranscribeSender;
}

/**
 * Default Transcribe Streaming locale per language (codes from the SDK's LanguageCode enum).
 * Where AWS offers several, the variant with the longest streaming support is chosen (es-US
 * rather than es-ES); override with `languageCodes`.
 */
export const DEFAULT_TRANSCRIBE_LANGUAGES: Readonly<Record<string, string>> = {
  ar: 'ar-SA',
  ca: 'ca-ES',
  cs: 'cs-CZ',
  da: 'da-DK',
  de: 'de-DE',
  el: 'el-GR',
  en: 'en-US',
  es: 'es-US',
  fi: 'fi-FI',
  fr: 'fr-FR',
  he: 'he-IL',
  hi: 'hi-IN',
  id: 'id-ID',
  it: 'it-IT',
  ja: 'ja-JP',
  ko: 'ko-KR',
  nl: 'nl-NL',
  no: 'no-NO',
  pl: 'pl-PL',
  pt: 'pt-BR',
  ro: 'ro-RO',
  ru: 'ru-RU',
  sv: 'sv-SE',
  th: 'th-TH',
  tr: 'tr-TR',
  uk: 'uk-UA',
  vi: 'vi-VN',
  zh: 'zh-CN',
};

/** List price of Transcribe Streaming (tier 1): USD 0.024 per minute, per second, 15 s minimum per request. */
export const TRANSCRIBE_USD_PER_MINUTE = 0.024;
export const TRANSCRIBE_MIN_BILLED_SECONDS = 15;

/** 100 ms per AudioEvent: AWS suggests 50–200 ms chunks; the pipeline writes 32 ms VAD frames. */
const CHUNK_SAMPLES = SPEAKER_SAMPLE_RATE / 10;

/**
 * Amazon Transcribe Streaming, one StartStreamTranscription request per utterance: the pipeline's
 * endpointer decides where utterances end, so each request carries one utterance's audio and the
 * final transcript is known as soon as its input is closed. Partial results stabilisation keeps
 * the draft caption from flickering.
 *
 * Billing consequence: AWS bills each request for at least 15 seconds, so short utterances cost
 * more than their length (a 3 s utterance is billed as 15 s); `onCost` reports what AWS bills.
 *
 * Verified against a local fake HTTP/2 event-stream endpoint (see testing/fake-transcribe.ts),
 * not against AWS.
 */
export class AwsTranscribeAsr extends AwsEngine<TranscribeSender> implements AsrEngine {
  readonly capabilities: AsrCapabilities;
  private readonly languageCodes: Record<string, string>;

  constructor(private readonly options: AwsTranscribeAsrOptions = {}) {
    super({
      id: 'aws-transcribe',
      kind: 'asr',
      description: 'Amazon Transcribe Streaming (cloud, billed per second of audio)',
    });
    this.languageCodes = { ...DEFAULT_TRANSCRIBE_LANGUAGES, ...options.languageCodes };
    const languages = offeredLanguages(this.info.id, this.languageCodes, options.languages, {
      what: 'LanguageCode',
      field: 'languageCodes',
    });
    this.capabilities = { languages, streaming: true, punctuated: true };
  }

  createStream({ language, onEvent }: AsrStreamOptions): AsrStream {
    const languageCode = this.capabilities.languages.includes(language)
      ? this.languageCodes[language]
      : undefined;
    if (!languageCode) throw new EngineError(this.info.id, `no Transcribe language for ${language}`, false);
    return new TranscribeStream({
      engineId: this.info.id,
      client: this.client,
      languageCode,
      stability: this.options.partialResultsStability ?? 'high',
      onEvent,
      onCost: this.options.onCost,
    });
  }

  protected createClient() {
    if (this.options.client) return { client: this.options.client, owned: false };
    const client = new TranscribeStreamingClient({
      ...sdkClientConfig(this.options),
      // One HTTP/2 session per request, as the SDK does by default for this service.
      requestHandler: { ...http2HandlerConfig(this.options, 30_000), disableConcurrentStreams: true },
    });
    return { client, owned: true };
  }
}

interface StreamSettings {
  engineId: string;
  client: TranscribeSender;
  languageCode: string;
  stability: 'low' | 'medium' | 'high';
  onEvent?: (event: AsrEvent) => void;
  onCost?: (usd: number) => void;
}

class TranscribeStream implements AsrStream {
  private current: Utterance | undefined;
  private closed = false;

  constructor(private readonly settings: StreamSettings) {}

  write(samples: Int16Array): void {
    if (this.closed || samples.length === 0) return;
    this.current ??= new Utterance(this.settings);
    this.current.write(samples);
  }

  async finishUtterance(): Promise<AsrFinal> {
    const utterance = this.current;
    this.current = undefined;
    // Nothing written: no request, nothing billed.
    if (!utterance) return { type: 'final', text: '', startMs: 0, endMs: 0 };
    return utterance.finish();
  }

  close(): void {
    this.closed = true;
    this.current?.abort();
    this.current = undefined;
  }
}

/** One StartStreamTranscription request: audio in through an async iterable, results out. */
class Utterance {
  private readonly audio = new AudioQueue();
  private readonly abortController = new AbortController();
  private pending: Int16Array[] = [];
  private pendingSamples = 0;
  private samples = 0;
  private readonly finals: Result[] = [];
  private readonly done: Promise<void>;
  private failure: unknown;

  constructor(private readonly settings: StreamSettings) {
    this.done = this.run().catch((err: unknown) => {
      this.failure = toEngineError(settings.engineId, err);
      this.audio.end();
    });
  }

  write(samples: Int16Array): void {
    if (this.failure) return;
    this.samples += samples.length;
    this.pending.push(samples);
    this.pendingSamples += samples.length;
    if (this.pendingSamples >= CHUNK_SAMPLES) this.flush();
  }

  async finish(): Promise<AsrFinal> {
    this.flush();
    this.audio.end();
    await this.done;
    if (this.failure) throw this.failure;
    return this.result();
  }

  abort(): void {
    this.audio.end();
    this.abortController.abort();
  }

  private flush(): void {
    if (this.pendingSamples === 0) return;
    const bytes = new Uint8Array(this.pendingSamples * 2);
    const view = new DataView(bytes.buffer);
    let at = 0;
    for (const part of this.pending)
      for (const s of part) {
        view.setInt16(at, s, true);
        at += 2;
      }
    this.pending = [];
    this.pendingSamples = 0;
    this.audio.push(bytes);
  }

  private async run(): Promise<void> {
    const { client, languageCode, stability } = this.settings;
    const out = await client.send(
      new StartStreamTranscriptionCommand({
        LanguageCode: languageCode as LanguageCode,
        MediaEncoding: 'pcm',
        MediaSampleRateHertz: SPEAKER_SAMPLE_RATE,
        EnablePartialResultsStabilization: true,
        PartialResultsStability: stability,
        AudioStream: this.audioEvents(),
      }),
      { abortSignal: this.abortController.signal },
    );
    // The request is accepted, so it is billed: per second, at least 15 s.
    try {
      for await (const event of out.TranscriptResultStream ?? []) {
        if (event.TranscriptEvent) {
          for (const result of event.TranscriptEvent.Transcript?.Results ?? []) this.onResult(result);
          continue;
        }
        const [name, detail] = Object.entries(event).find(([, v]) => v !== undefined) ?? [
          'unknown event',
          {},
        ];
        throw Object.assign(new Error((detail as { Message?: string })?.Message ?? name), { name });
      }
    } finally {
      const seconds = Math.max(TRANSCRIBE_MIN_BILLED_SECONDS, Math.ceil(this.samples / SPEAKER_SAMPLE_RATE));
      this.settings.onCost?.((seconds / 60) * TRANSCRIBE_USD_PER_MINUTE);
    }
  }

  private async *audioEvents(): AsyncIterable<AudioStream> {
    for await (const chunk of this.audio) yield { AudioEvent: { AudioChunk: chunk } };
  }

  private onResult(result: Result): void {
    if (!result.IsPartial) {
      // A result is revised under the same ResultId until it is final; keep only the final one.
      const i = this.finals.findIndex((r) => r.ResultId === result.ResultId);
      if (i >= 0) this.finals[i] = result;
      else this.finals.push(result);
      this.interim(this.text(), result);
      return;
    }
    const draft = result.Alternatives?.[0]?.Transcript ?? '';
    this.interim(join([this.text(), draft]), result);
  }

  /** Transcribe's result times are seconds from the request's first audio: the utterance's start. */
  private interim(text: string, result: Result): void {
    const heardMs = Math.round((this.samples * 1000) / SPEAKER_SAMPLE_RATE);
    const endMs = Math.min(heardMs, Math.round((result.EndTime ?? 0) * 1000) || heardMs);
    this.settings.onEvent?.({ type: 'interim', text, startMs: 0, endMs });
  }

  private text(): string {
    return join(this.finals.map((r) => r.Alternatives?.[0]?.Transcript ?? ''));
  }

  private result(): AsrFinal {
    const words: AsrWord[] = [];
    const confidences: number[] = [];
    for (const r of this.finals)
      for (const item of r.Alternatives?.[0]?.Items ?? []) {
        if (item.Type !== 'pronunciation' || !item.Content) continue;
        words.push({
          word: item.Content,
          startMs: Math.round((item.StartTime ?? 0) * 1000),
          endMs: Math.round((item.EndTime ?? 0) * 1000),
        });
        if (typeof item.Confidence === 'number') confidences.push(item.Confidence);
      }
    const confidence = confidences.length
      ? confidences.reduce((a, b) => a + b, 0) / confidences.length
      : undefined;
    return {
      type: 'final',
      text: this.text(),
      startMs: 0,
      endMs: Math.round((this.samples * 1000) / SPEAKER_SAMPLE_RATE),
      ...(words.length ? { words } : {}),
      ...(confidence !== undefined ? { confidence } : {}),
    };
  }
}

function join(parts: string[]): string {
  return parts
    .map((p) => p.trim())
    .filter(Boolean)
    .join(' ');
}

/** Push-in, iterate-out queue of audio chunks; `end()` finishes the iteration after what is queued. */
class AudioQueue implements AsyncIterable<Uint8Array> {
  private readonly items: Uint8Array[] = [];
  private ended = false;
  private wake: (() => void) | undefined;

  push(chunk: Uint8Array): void {
    if (this.ended) return;
    this.items.push(chunk);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const next = this.items.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }
}
