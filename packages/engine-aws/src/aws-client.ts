import { EngineError, EngineUnavailableError } from '@babelcast/core/engines';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/** Options every AWS engine takes. Nothing here is required when the standard AWS set-up exists. */
export interface AwsClientOptions {
  /** e.g. "eu-west-1". Default: the SDK's chain (AWS_REGION, then ~/.aws/config for AWS_PROFILE). */
  region?: string;
  /**
   * Static keys or a provider. Default: the SDK's provider chain (environment, SSO, shared
   * credentials file, web identity, ECS/EC2 instance roles).
   */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Override the service URL: a VPC endpoint, or a local fake in tests. */
  endpoint?: string;
  /** Per attempt: a connection or a socket silent for this long fails the attempt. Default 10 s. */
  requestTimeoutMs?: number;
  /** SDK attempts per call, the first included (the SDK backs off between them). Default 3. */
  maxAttempts?: number;
  /** Estimated spend at list price, in USD, after each billed call. Wire it to `engineCostUsd`. */
  onCost?: (usd: number) => void;
}

/** The part of an SDK client's resolved config that `init()` inspects. */
export interface ResolvableClientConfig {
  region: () => Promise<string>;
  credentials: AwsCredentialIdentityProvider;
}

/** Constructor config shared by the SDK clients (without `requestHandler`, which differs for HTTP/2). */
export function sdkClientConfig(options: AwsClientOptions) {
  return {
    ...(options.region ? { region: options.region } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: options.maxAttempts ?? 3,
  };
}

/** HTTP/2 handler options (Polly and Transcribe Streaming): the timeout is per-stream inactivity and throws. */
export function http2HandlerConfig(options: AwsClientOptions, defaultTimeoutMs = 10_000) {
  return { requestTimeout: options.requestTimeoutMs ?? defaultTimeoutMs };
}

/** HTTP/1.1 handler options: without throwOnRequestTimeout the SDK only logs a warning and waits on. */
export function http1HandlerConfig(options: AwsClientOptions, defaultTimeoutMs = 10_000) {
  const requestTimeout = options.requestTimeoutMs ?? defaultTimeoutMs;
  return {
    requestTimeout,
    connectionTimeout: Math.min(requestTimeout, 5_000),
    throwOnRequestTimeout: true,
  };
}

/**
 * Resolve the region and credentials the client would sign with. No request is sent, so nothing
 * is billed, but keys that AWS would refuse (revoked, wrong account) are only found by the first
 * call, which then fails with a non-recoverable EngineError.
 */
export async function checkAwsAccess(engineId: string, config: ResolvableClientConfig): Promise<void> {
  let region: string;
  try {
    region = await config.region();
  } catch (cause) {
    throw new EngineUnavailableError(
      engineId,
      'no AWS region configured: set the engine option "region" or the AWS_REGION environment variable',
      { cause },
    );
  }
  if (!region) throw new EngineUnavailableError(engineId, 'the AWS region is empty');
  try {
    const identity = await config.credentials();
    if (!identity.accessKeyId || !identity.secretAccessKey) throw new Error('empty access key');
  } catch (cause) {
    throw new EngineUnavailableError(
      engineId,
      'no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ' +
        `or run on an instance/task role (${cause instanceof Error ? cause.message : String(cause)})`,
      { cause },
    );
  }
}

/**
 * `checkAwsAccess` for a client the engine just made: on failure the client is destroyed (unless
 * the caller owns it, as tests that inject one do) so no sockets or timers outlive a failed init().
 */
export async function verifiedClient<C extends { config: ResolvableClientConfig; destroy(): void }>(
  engineId: string,
  client: C,
  options: { owned: boolean } = { owned: true },
): Promise<C> {
  try {
    await checkAwsAccess(engineId, client.config);
  } catch (err) {
    if (options.owned) client.destroy();
    throw err;
  }
  return client;
}

/** Error names AWS uses for "slow down": worth retrying later even though some come with HTTP 400. */
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'LimitExceededException',
  'ServiceQuotaExceededException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
]);

const CREDENTIAL_ERRORS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredTokenException',
  'AccessDeniedException',
  'MissingAuthenticationTokenException',
  'CredentialsProviderError',
]);

interface SdkErrorShape {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/**
 * Map an SDK failure to the pipeline's terms: throttling, 5xx and network failures are
 * recoverable (the SDK has already retried `maxAttempts` times); any other 4xx (unsupported pair,
 * invalid voice, bad credentials) will fail the same way again. An abort is passed through as-is.
 */
export function toEngineError(engineId: string, err: unknown, signal?: AbortSignal): unknown {
  if (err instanceof EngineError) return err;
  if (signal?.aborted) return signal.reason;
  const e = (err ?? {}) as SdkErrorShape;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const what = `${name}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(err)}`;
  if (CREDENTIAL_ERRORS.has(name))
    return new EngineError(engineId, `AWS refused the credentials: ${what}`, false, { cause: err });
  const recoverable =
    THROTTLING.has(name) ||
    status === 429 ||
    (status !== undefined && status >= 500) ||
    e.$fault === 'server' ||
    // No HTTP status and not a modelled client error (those also arrive inside event streams):
    // a timeout, a reset connection, DNS. The next call may well work.
    (status === undefined && e.$fault !== 'client');
  return new EngineError(engineId, what, recoverable, { cause: err });
}

/** List price arithmetic kept in one place so the tests can check it. */
export function usdPerMillion(units: number, usdPerMillionUnits: number): number {
  return (units * usdPerMillionUnits) / 1_000_000;
}
