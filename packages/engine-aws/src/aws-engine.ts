/**
 * What the three AWS engines share: they run nowhere but in AWS (`local: false`), and their one
 * resource is an SDK client, made at start and checked to reach AWS with the credentials given (so
 * a wrong key fails init, not the first sentence), destroyed at stop unless the caller supplied it.
 */
import { EngineBase, type EngineInfo } from '@babelcast/core/engines';
import { BabelcastError, ErrorCode } from '@babelcast/protocol';
import { type ResolvableClientConfig, verifiedClient } from './aws-client.ts';

interface SdkClient {
  config: ResolvableClientConfig;
  destroy(): void;
}

export abstract class AwsEngine<C extends SdkClient> extends EngineBase {
  readonly info: EngineInfo;
  private sdkClient: C | undefined;
  private ownsClient = true;

  constructor(info: Omit<EngineInfo, 'local'>) {
    super();
    this.info = { ...info, local: false };
  }

  /** The SDK client to use, and whether this engine made it (and so must destroy it). */
  protected abstract createClient(): { client: C; owned: boolean };

  /** The client, for an operation on an open engine. */
  protected get client(): C {
    this.assertOpen();
    return this.sdkClient!;
  }

  protected async start(): Promise<void> {
    const { client, owned } = this.createClient();
    this.ownsClient = owned;
    this.sdkClient = await verifiedClient(this.info.id, client, { owned });
  }

  protected async stop(): Promise<void> {
    if (this.ownsClient) this.sdkClient?.destroy();
    this.sdkClient = undefined;
  }
}

/**
 * The languages an engine offers: those asked for, or every one its table (defaults merged with
 * config) has an entry for. Asking for one without an entry is a config mistake, refused at
 * construction, saying which config field to add it to.
 */
export function offeredLanguages(
  engineId: string,
  table: Readonly<Record<string, unknown>>,
  only: readonly string[] | undefined,
  missing: { what: string; field: string },
): string[] {
  const languages = only ?? Object.keys(table);
  const without = languages.filter((l) => !table[l]);
  if (without.length)
    throw new BabelcastError(
      ErrorCode.ENGINE_CONFIG,
      `${engineId}: no ${missing.what} for ${without.join(', ')}; add them to "${missing.field}"`,
    );
  return [...languages].sort();
}
