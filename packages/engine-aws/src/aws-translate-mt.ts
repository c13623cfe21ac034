import {
  EngineError,
  type LanguagePair,
  type MtCapabilities,
  type MtEngine,
  type TranslateRequest,
} from '@babelcast/core/engines';
import { TranslateClient, TranslateTextCommand } from '@aws-sdk/client-translate';
import {
  type AwsClientOptions,
  http1HandlerConfig,
  sdkClientConfig,
  toEngineError,
  usdPerMillion,
} from './aws-client.ts';
import { AwsEngine } from './aws-engine.ts';
import { AMAZON_TRANSLATE_LANGUAGES } from './translate-languages.ts';

export interface AwsTranslateMtOptions extends AwsClientOptions {
  /** Languages to offer, all-to-all. Default: every base language Amazon Translate documents. */
  languages?: string[];
  /** Formality for targets that support it (Translate's `Settings.Formality`). Default: none. */
  formality?: 'FORMAL' | 'INFORMAL';
}

/** Amazon Translate list price, standard real-time translation: USD 15 per million source characters. */
export const TRANSLATE_USD_PER_MILLION_CHARS = 15;

/**
 * Amazon Translate (TranslateText), one request per sentence. Verified against a local fake that
 * speaks Translate's JSON 1.1 wire protocol and checks SigV4 signatures, not against AWS itself.
 */
export class AwsTranslateMt extends AwsEngine<TranslateClient> implements MtEngine {
  readonly capabilities: MtCapabilities;
  private readonly languages: Set<string>;

  constructor(private readonly options: AwsTranslateMtOptions = {}) {
    super({ id: 'aws-translate', kind: 'mt', description: 'Amazon Translate (cloud, billed per character)' });
    this.languages = new Set(options.languages ?? AMAZON_TRANSLATE_LANGUAGES);
    const pairs: LanguagePair[] = [];
    for (const from of this.languages)
      for (const to of this.languages) if (from !== to) pairs.push({ from, to, via: [] });
    this.capabilities = { pairs };
  }

  async translate({ text, from, to, signal }: TranslateRequest): Promise<string> {
    signal?.throwIfAborted();
    if (from === to || !this.languages.has(from) || !this.languages.has(to))
      throw new EngineError(this.info.id, `no Amazon Translate pair ${from}→${to}`, false);
    const client = this.client;
    if (!text.trim()) return '';
    try {
      const out = await client.send(
        new TranslateTextCommand({
          Text: text,
          SourceLanguageCode: from,
          TargetLanguageCode: to,
          ...(this.options.formality ? { Settings: { Formality: this.options.formality } } : {}),
        }),
        { abortSignal: signal },
      );
      // Billed on the source characters, whitespace included, whether or not the output is used.
      this.options.onCost?.(usdPerMillion(text.length, TRANSLATE_USD_PER_MILLION_CHARS));
      if (typeof out.TranslatedText !== 'string')
        throw new EngineError(this.info.id, 'Amazon Translate returned no TranslatedText');
      return out.TranslatedText;
    } catch (err) {
      throw toEngineError(this.info.id, err, signal);
    }
  }

  protected createClient() {
    const client = new TranslateClient({
      ...sdkClientConfig(this.options),
      requestHandler: http1HandlerConfig(this.options),
    });
    return { client, owned: true };
  }
}
