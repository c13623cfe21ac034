import {
  EngineError,
  type SynthesizeRequest,
  type TtsCapabilities,
  type TtsChunk,
  type TtsEngine,
} from '@babelcast/core/engines';
import { type LanguageCode, PollyClient, SynthesizeSpeechCommand, type VoiceId } from '@aws-sdk/client-polly';
import {
  type AwsClientOptions,
  http2HandlerConfig,
  sdkClientConfig,
  toEngineError,
  usdPerMillion,
} from './aws-client.ts';
import { AwsEngine, offeredLanguages } from './aws-engine.ts';
import { DEFAULT_POLLY_VOICES, type PollyVoice } from './polly-voices.ts';

export interface AwsPollyTtsOptions extends AwsClientOptions {
  /** Per-language voices, merged over DEFAULT_POLLY_VOICES (so one language can be changed alone). */
  voices?: Record<string, PollyVoice>;
  /** Offer only these languages (each needs a voice). Default: every language with a voice. */
  languages?: string[];
}

/** Amazon Polly list prices, USD per million characters. */
export const POLLY_USD_PER_MILLION_CHARS = { neural: 16, standard: 4 } as const;

/**
 * Polly renders PCM at 8 or 16 kHz only (its documented SampleRate values for "pcm"): the better
 * of the two. Not the speaker's rate by design; the pipeline resamples whatever a voice yields.
 */
export const POLLY_PCM_SAMPLE_RATE = 16_000;

/**
 * Amazon Polly (SynthesizeSpeech) as 16 kHz PCM, yielded chunk by chunk as the response body
 * arrives, so the first audio plays before the whole sentence is synthesised. Verified against a
 * local fake that speaks Polly's REST-JSON protocol and checks SigV4 signatures, not against AWS.
 */
export class AwsPollyTts extends AwsEngine<PollyClient> implements TtsEngine {
  readonly capabilities: TtsCapabilities;
  private readonly voices: Record<string, PollyVoice>;

  constructor(private readonly options: AwsPollyTtsOptions = {}) {
    super({ id: 'aws-polly', kind: 'tts', description: 'Amazon Polly (cloud, billed per character)' });
    this.voices = { ...DEFAULT_POLLY_VOICES, ...options.voices };
    const languages = offeredLanguages(this.info.id, this.voices, options.languages, {
      what: 'voice configured',
      field: 'voices',
    });
    this.capabilities = { languages, streaming: true };
  }

  async *synthesize({
    text,
    language,
    rate,
    volume,
    pitch,
    signal,
  }: SynthesizeRequest): AsyncIterable<TtsChunk> {
    signal?.throwIfAborted();
    const voice = this.capabilities.languages.includes(language) ? this.voices[language] : undefined;
    if (!voice) throw new EngineError(this.info.id, `no Polly voice for ${language}`, false);
    const client = this.client;
    if (!text.trim()) return;
    // Pitch only on standard voices: neural, long-form and generative ones refuse the attribute.
    const prosody = prosodyAttributes({
      rate,
      volume,
      pitch: voice.engine === 'standard' ? pitch : undefined,
    });
    const ssml = prosody !== '';
    let body: AsyncIterable<Uint8Array>;
    try {
      const out = await client.send(
        new SynthesizeSpeechCommand({
          Engine: voice.engine,
          // Strings, not the SDK's enums: voices AWS adds later need no code change here.
          VoiceId: voice.voice as VoiceId,
          LanguageCode: voice.languageCode as LanguageCode,
          OutputFormat: 'pcm',
          SampleRate: String(POLLY_PCM_SAMPLE_RATE),
          TextType: ssml ? 'ssml' : 'text',
          Text: ssml ? withProsody(text, prosody) : text,
        }),
        { abortSignal: signal },
      );
      // Billed on the characters Polly reports (SSML tags excluded), known as soon as headers arrive.
      const billed = out.RequestCharacters ?? text.length;
      this.options.onCost?.(usdPerMillion(billed, POLLY_USD_PER_MILLION_CHARS[voice.engine]));
      const stream = out.AudioStream as unknown;
      if (!stream || typeof stream !== 'object' || !(Symbol.asyncIterator in stream))
        throw new EngineError(this.info.id, 'Polly returned no audio stream');
      body = stream as AsyncIterable<Uint8Array>;
    } catch (err) {
      throw toEngineError(this.info.id, err, signal);
    }
    yield* pcmChunks(body, this.info.id, signal);
  }

  protected createClient() {
    const client = new PollyClient({
      ...sdkClientConfig(this.options),
      // The SDK's default for Polly is HTTP/2 (it also serves the bidirectional StartSpeechSynthesisStream).
      requestHandler: http2HandlerConfig(this.options),
    });
    return { client, owned: true };
  }
}

/** Signed 16-bit little-endian mono, as Polly's "pcm" format is documented; network chunks may split a sample. */
async function* pcmChunks(
  body: AsyncIterable<Uint8Array>,
  engineId: string,
  signal?: AbortSignal,
): AsyncIterable<TtsChunk> {
  let carry: number | undefined;
  try {
    for await (const piece of body) {
      signal?.throwIfAborted();
      let bytes = piece;
      if (carry !== undefined) {
        bytes = new Uint8Array(piece.length + 1);
        bytes[0] = carry;
        bytes.set(piece, 1);
        carry = undefined;
      }
      if (bytes.length % 2 === 1) {
        carry = bytes[bytes.length - 1];
        bytes = bytes.subarray(0, bytes.length - 1);
      }
      if (bytes.length === 0) continue;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const samples = new Int16Array(bytes.length / 2);
      for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(i * 2, true);
      yield { samples, sampleRate: POLLY_PCM_SAMPLE_RATE };
    }
  } catch (err) {
    throw signal?.aborted
      ? signal.reason
      : new EngineError(engineId, `Polly audio stream broke: ${(err as Error).message}`, true, {
          cause: err,
        });
  } finally {
    // A consumer that stops early (barge-in, abort) must not leave the socket streaming.
    (body as { destroy?: () => void }).destroy?.();
  }
}

/** Polly accepts 20%–200% in SSML <prosody rate>. */
/**
 * SSML prosody attributes for the changes asked for, within what Polly accepts: rate 20–200 %,
 * volume as ±dB (±6 dB at most here), pitch as ±% (standard voices only). Empty when nothing changes.
 */
export function prosodyAttributes(change: { rate?: number; volume?: number; pitch?: number }): string {
  const attrs: string[] = [];
  const { rate, volume, pitch } = change;
  if (rate !== undefined && rate !== 1)
    attrs.push(`rate="${Math.round(Math.min(2, Math.max(0.2, rate)) * 100)}%"`);
  if (volume !== undefined && volume > 0 && volume !== 1) {
    const db = Math.round(Math.min(6, Math.max(-6, 20 * Math.log10(volume))) * 10) / 10;
    if (db !== 0) attrs.push(`volume="${db > 0 ? '+' : ''}${db}dB"`);
  }
  if (pitch !== undefined && pitch > 0 && pitch !== 1) {
    const percent = Math.round((Math.min(1.5, Math.max(0.5, pitch)) - 1) * 100);
    if (percent !== 0) attrs.push(`pitch="${percent > 0 ? '+' : ''}${percent}%"`);
  }
  return attrs.join(' ');
}

function withProsody(text: string, attributes: string): string {
  const escaped = text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
  return `<speak><prosody ${attributes}>${escaped}</prosody></speak>`;
}
