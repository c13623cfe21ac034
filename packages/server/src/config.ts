/**
 * The one configuration schema. Sources, lowest priority first: defaults, a JSON file
 * (`--config` or BABELCAST_CONFIG), environment variables (BABELCAST_*), then explicit overrides
 * (CLI flags, tests). Validated once at start; a bad value stops the server with a message that
 * names the field.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  DEFAULT_ENDPOINTING,
  DEFAULT_HUB,
  DEFAULT_MAX_ASR_BACKLOG_SECONDS,
  DEFAULT_MAX_LANGUAGES_PER_SESSION,
  DEFAULT_MODE,
  DEFAULT_SIMULTANEOUS,
  DEFAULT_TRACK,
  DEFAULT_VOICE,
} from '@babelcast/core';
import { languageCode } from '@babelcast/protocol';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);

/** A token bucket: `perSecond` sustained, up to `burst` at once. */
const bucket = (perSecond: number, burst: number) =>
  z
    .object({
      perSecond: z.number().positive().default(perSecond),
      burst: z.number().int().min(1).default(burst),
    })
    .prefault({});

export const configSchema = z
  .object({
    host: z.string().default('0.0.0.0'),
    port: port.default(8080),
    /** Base URL listeners use (join links, QR codes). Defaults to the address the server listens on. */
    publicUrl: z.url().optional(),
    dataDir: z.string().default('.babelcast'),
    /**
     * Where sessions, API tokens and transcripts are kept. `sqlite` (default): a file in dataDir,
     * needs nothing. `postgres`: PostgreSQL at `postgresUrl` (BABELCAST_POSTGRES_URL sets both),
     * shared by every node of a cluster; see docs/deployment.md.
     */
    store: z
      .object({
        kind: z.enum(['sqlite', 'postgres']).default('sqlite'),
        /** postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (libpq parameters such as ?sslmode=require work). */
        postgresUrl: z
          .string()
          .regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL')
          .optional(),
        /** Schema of Babelcast's tables, created if missing. Unset: the user's current schema (public). */
        postgresSchema: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'letters, digits and _ only')
          .optional(),
        /** PostgreSQL connections each process keeps at most. */
        postgresPoolSize: z.number().int().min(1).max(200).default(10),
      })
      .prefault({})
      .superRefine((store, ctx) => {
        if (store.kind === 'postgres' && !store.postgresUrl)
          ctx.addIssue({ code: 'custom', path: ['postgresUrl'], message: 'required with kind "postgres"' });
      }),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * What this process does. `all` (default): everything in one process. `gateway`: pages, API
     * and WebSockets, no pipelines. `worker`: pipelines of the live sessions it claims, no
     * clients (only /healthz, /readyz and /metrics). Gateways and workers need NATS (`bus`) and
     * PostgreSQL (`store`); see docs/deployment.md.
     */
    role: z.enum(['all', 'gateway', 'worker']).default('all'),
    /** Worker role: the most sessions one worker runs at once (a 2-core worker sustained 4 real-time sessions on the embedded engines). */
    workerMaxSessions: z.number().int().min(1).max(1000).default(4),
    /** Off by default: transcripts of sermons, classes and meetings are not for log files. */
    logTranscripts: z.boolean().default(false),
    auth: z
      .object({
        /** Static API tokens for self-hosters (in addition to tokens made with `babelcast token create`). */
        apiTokens: z.array(z.object({ name: z.string().min(1), token: z.string().min(16) })).default([]),
        jwt: z
          .object({
            /** RS256/ES256 keys, e.g. https://cognito-idp.<region>.amazonaws.com/<poolId>/.well-known/jwks.json */
            jwksUrl: z.url().optional(),
            /** HS256 shared secret for self-hosted identity providers. */
            hs256Secret: z.string().min(32).optional(),
            /** Required with a JWKS (see allowAnyIssuerAudience): the `iss` every token must carry. */
            issuer: z.string().min(1).optional(),
            /** Required with a JWKS: matched against `aud` (id tokens) or Cognito's `client_id` (access tokens). */
            audience: z.string().min(1).optional(),
            /** Claim that names the speaker (Cognito: "username" for access tokens, "cognito:username" for id tokens). */
            nameClaim: z.string().default('name'),
            /** Longest accepted lifetime (`exp` − `iat`, or `exp` − now without `iat`); `exp` is required. */
            maxLifetimeSeconds: z
              .number()
              .int()
              .min(60)
              .max(30 * 86_400)
              .default(86_400),
            /** Clock skew allowed on `exp`, `nbf` and a future `iat`. */
            clockToleranceSeconds: z.number().int().min(0).max(300).default(60),
            /**
             * Cognito's `token_use` claim a token must carry: `access` or `id`; `any` skips the check.
             * Unset: `access` for a Cognito JWKS URL, no check otherwise.
             */
            tokenUse: z.enum(['access', 'id', 'any']).optional(),
            /**
             * Accept JWKS tokens without an issuer and audience check. Unsafe: any token of that
             * identity pool, from any of its app clients, would pass. Only for a JWKS that is yours alone.
             */
            allowAnyIssuerAudience: z.boolean().default(false),
          })
          .prefault({})
          .superRefine((jwt, ctx) => {
            if (!jwt.jwksUrl || jwt.allowAnyIssuerAudience) return;
            for (const key of ['issuer', 'audience'] as const)
              if (!jwt[key])
                ctx.addIssue({
                  code: 'custom',
                  path: [key],
                  message: `required with jwksUrl (or set auth.jwt.allowAnyIssuerAudience: true to accept any ${key})`,
                });
          }),
      })
      .prefault({}),
    engines: z
      .object({
        /** `embedded`: the engines that work on a fresh machine with no download. `fake`: deterministic test engines. */
        preset: z.enum(['embedded', 'fake']).default('embedded'),
        vad: z.string().optional(),
        asr: z.string().optional(),
        mt: z.string().optional(),
        tts: z.string().optional(),
        codec: z.string().optional(),
        /** Per-engine options, keyed by engine id (e.g. { "apertium": { "pivot": "es" } }). */
        options: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
        /**
         * A second translator behind the first (e.g. `apertium` behind `aws-translate`): it serves
         * what the first cannot start for, does not serve, or fails on (babelcast_engine_fallbacks_total).
         */
        fallbackMt: z.string().optional(),
        /**
         * A translation or a voice that fails recoverably (a child restarting, a throttled cloud
         * call) is tried once more after this many ms; 0 turns the retry off.
         */
        retryBackoffMs: z.number().int().min(0).max(10_000).default(300),
        modelsDir: z.string().optional(),
        /**
         * Voice catalogue per language (ISO 639-1), for the `embedded` voices: which voice speaks it
         * (`rhvoice:bdl`, `pico`, `flite`, `espeak-ng`; default the best installed) and its speed and
         * pitch (multipliers), e.g. { "en": { "voice": "rhvoice:bdl", "speed": 0.95 } }.
         */
        voices: z
          .record(
            z.string(),
            z
              .object({
                voice: z.string().optional(),
                speed: z.number().min(0.5).max(2).default(1),
                pitch: z.number().min(0.5).max(2).default(1),
              })
              .strict(),
          )
          .default({}),
      })
      .prefault({}),
    pipeline: z
      .object({
        /**
         * `simultaneous`: translated drafts while the speaker talks and chunks committed at pauses,
         * about 2 s behind in text; `sentence`: translate each sentence once the speaker pauses.
         */
        mode: z.enum(['simultaneous', 'sentence']).default(DEFAULT_MODE),
        silenceMs: z.number().int().min(100).max(5000).default(DEFAULT_ENDPOINTING.silenceMs),
        maxUtteranceMs: z.number().int().min(2000).max(60_000).default(DEFAULT_ENDPOINTING.maxUtteranceMs),
        vadThreshold: z.number().min(0.05).max(0.95).default(DEFAULT_ENDPOINTING.threshold),
        ttsRate: z.number().min(0.5).max(2).default(DEFAULT_TRACK.ttsRate),
        /** 20 ms Opus frames per listener audio message. */
        framesPerPacket: z.number().int().min(1).max(50).default(DEFAULT_TRACK.framesPerPacket),
        /** Warm the recogniser, every pair and every voice at start, and a language on its first listener. */
        warmUp: z.boolean().default(DEFAULT_TRACK.warmUp),
        /** Simultaneous mode's policy (see packages/core/src/pipeline/tuning.ts for the reasons). */
        simultaneous: z
          .object({
            agreement: z.number().int().min(1).max(5).default(DEFAULT_SIMULTANEOUS.agreement),
            maxUnconfirmedMs: z
              .number()
              .int()
              .min(200)
              .max(10_000)
              .default(DEFAULT_SIMULTANEOUS.maxUnconfirmedMs),
            pauseMs: z.number().int().min(50).max(2000).default(DEFAULT_SIMULTANEOUS.pauseMs),
            maxChunkWords: z.number().int().min(2).max(50).default(DEFAULT_SIMULTANEOUS.maxChunkWords),
            minChunkWords: z.number().int().min(1).max(20).default(DEFAULT_SIMULTANEOUS.minChunkWords),
            draftIntervalMs: z.number().int().min(50).max(5000).default(DEFAULT_SIMULTANEOUS.draftIntervalMs),
            draftMaskWords: z.number().int().min(0).max(5).default(DEFAULT_SIMULTANEOUS.draftMaskWords),
          })
          .prefault({}),
        /** How the voice keeps up with the speaker in simultaneous mode. */
        voice: z
          .object({
            targetLagMs: z.number().int().min(500).max(30_000).default(DEFAULT_VOICE.targetLagMs),
            maxRate: z.number().min(1).max(2).default(DEFAULT_VOICE.maxRate),
            skipAheadLagMs: z.number().int().min(1000).max(60_000).default(DEFAULT_VOICE.skipAheadLagMs),
            /** Carry the speaker's pace, loudness and pitch movement into the voice (core pipeline/prosody). */
            prosody: z.boolean().default(DEFAULT_VOICE.prosody),
          })
          .prefault({}),
      })
      .prefault({}),
    limits: z
      .object({
        helloTimeoutMs: z.number().int().min(100).default(5000),
        audioDropBytes: z.number().int().min(1024).default(DEFAULT_HUB.audioDropBytes),
        maxBufferedBytes: z
          .number()
          .int()
          .min(16 * 1024)
          .default(DEFAULT_HUB.maxBufferedBytes),
        stuckMs: z.number().int().min(1000).default(DEFAULT_HUB.stuckMs),
        maxBadMessages: z.number().int().min(1).default(20),
        historySize: z.number().int().min(10).max(10_000).default(DEFAULT_HUB.historySize),
        /** Captions replayed to a listener joining without `since`. */
        joinReplay: z.number().int().min(0).max(1000).default(20),
        /**
         * Every socket is pinged this often. A listener with a ping unanswered for `stuckMs` is closed
         * with 4508 (its backlog hides in kernel buffers, so the pong is the honest measure); any
         * socket with a ping unanswered for 2 × max(heartbeatMs, stuckMs) is dropped as dead.
         */
        heartbeatMs: z.number().int().min(100).default(5000),
        /** Speech waiting for the recogniser beyond which the speaker's socket stops being read. */
        maxAsrBacklogSeconds: z.number().min(1).max(600).default(DEFAULT_MAX_ASR_BACKLOG_SECONDS),
        /** A language is still produced this long after its last listener left (reconnecting phones). */
        demandGraceMs: z.number().int().min(0).max(600_000).default(DEFAULT_HUB.demandGraceMs),
        /** `close()` (SIGTERM) finishes within this time whatever the sockets and pipelines are doing. */
        shutdownTimeoutMs: z.number().int().min(100).max(120_000).default(5000),
        /**
         * A speaker frame whose seq is more than this far ahead of the last accepted one is refused
         * (BC_ERR_SEQ_OUT_OF_RANGE); 1,000,000 is more than a day of 100 ms frames.
         */
        maxSeqJump: z.number().int().min(1).max(0x7fffffff).default(1_000_000),
        /** A listener asking for `replay` while this much is already queued on its socket is closed with 4508. */
        replayMaxBufferedBytes: z
          .number()
          .int()
          .min(1024)
          .default(64 * 1024),
        /**
         * Target languages a session may offer (its source language's own captions do not count).
         * Listeners asking for another are refused with 4422 / BC_ERR_LANGUAGE_NOT_OFFERED.
         */
        maxLanguagesPerSession: z.number().int().min(1).max(200).default(DEFAULT_MAX_LANGUAGES_PER_SESSION),
        /** Sessions (not ended) held by this node; one more answers 503 BC_ERR_OVER_CAPACITY. */
        maxSessions: z.number().int().min(1).default(500),
        /** Sessions live at once on this node; one more is refused with 503 / close 4503. */
        maxLiveSessions: z.number().int().min(1).default(50),
        /** Share of the CPU cores admission control plans to fill (see docs/protocol.md, Capacity). */
        cpuBudget: z.number().min(0.05).max(1).default(0.8),
        /** Cores to plan with. Unset: os.availableParallelism(). */
        cpuCores: z.number().positive().max(1024).optional(),
        /**
         * CPU seconds the recogniser needs per second of audio on this machine (its real-time
         * factor). Unset: the figure measured for the configured recogniser (see docs).
         */
        asrRealTimeFactor: z.number().positive().max(16).optional(),
        /** Cores one more produced target language costs in a live session (translation, voice, encoding). */
        languageCpuCost: z.number().min(0).max(16).default(0.03),
        /** Listeners without the owner's token are replayed at most this many past captions… */
        anonymousReplayMaxEvents: z.number().int().min(0).max(1000).default(50),
        /** …and none older than this: the full transcript is for the owner (transcript export). */
        anonymousReplayWindowMs: z
          .number()
          .int()
          .min(0)
          .default(10 * 60_000),
        /** A session with no speaker connected for this long is paused and its pipeline released… */
        idlePauseMs: z
          .number()
          .int()
          .min(100)
          .default(10 * 60_000),
        /** …and ended once it has had no speaker for this long. */
        idleEndMs: z
          .number()
          .int()
          .min(100)
          .default(6 * 3_600_000),
      })
      .prefault({}),
    metrics: z
      .object({
        /**
         * Bearer token for GET /metrics (Prometheus: `authorization: { credentials: … }`). Unset:
         * /metrics answers loopback callers only.
         */
        token: z.string().min(16).optional(),
        /**
         * Label per-session series (speaker input levels) with the session id. Off by default: a
         * session id is what lets anyone listen, so it does not belong on a metrics page.
         */
        sessionLabels: z.boolean().default(false),
      })
      .prefault({}),
    sessions: z
      .object({
        /**
         * Target languages a session offers when its speaker does not choose. Unset: every
         * language the engines serve for the source, up to limits.maxLanguagesPerSession.
         */
        targetLanguages: z.array(languageCode).max(200).optional(),
      })
      .prefault({}),
    /**
     * Per-address rate limits (IPv6 addresses count per /64). A venue behind one NAT shares one
     * address, so the defaults are sized for a room of about a thousand phones.
     */
    rateLimits: z
      .object({
        /** Every HTTP request; over it: HTTP 429 BC_ERR_RATE_LIMITED. */
        http: bucket(100, 1000),
        /** WebSocket upgrades (speaker and listener); over it the socket is closed with 4429. */
        wsConnect: bucket(20, 200),
        /** Concurrent listener sockets from one address; the next is closed with 4429. */
        maxListenersPerAddress: z.number().int().min(1).default(1000),
        /** Per listener socket, every JSON message; over it: error BC_ERR_RATE_LIMITED, message dropped. */
        listenerMessages: bucket(5, 20),
        /** Per listener socket, `replay` requests (also counted as listener messages). */
        replay: bucket(0.2, 3),
        /** Per speaker socket, JSON control messages (audio frames are paced by backpressure instead). */
        speakerMessages: bucket(20, 60),
        /** Addresses whose buckets are remembered; beyond it the idle ones are forgotten first. */
        trackedAddresses: z.number().int().min(100).default(100_000),
      })
      .prefault({}),
    /**
     * Reverse proxies in front of the server (0: none). With 1, the client address is the last one
     * in X-Forwarded-For (what Caddy or nginx appends); an address a client forges further left is
     * ignored. Used for the per-address limits and the logs.
     */
    trustProxy: z.number().int().min(0).max(10).default(0),
    retentionHours: z.number().min(0).default(24),
    /**
     * The message bus between gateways and workers. `memory` (default): one process, needs nothing.
     * `nats`: NATS JetStream at `natsUrl` (BABELCAST_NATS_URL sets both); see docs/deployment.md.
     */
    bus: z
      .object({
        kind: z.enum(['memory', 'nats']).default('memory'),
        /** `nats://host:4222`, or several servers of one cluster separated by commas. */
        natsUrl: z.string().min(1).optional(),
        /** Prefix of every subject, stream and KV bucket, so deployments can share one NATS. */
        natsPrefix: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ and - only')
          .default('babelcast'),
        /** Speaker audio kept in the stream, by age and by size (whichever limit is reached first). */
        audioMaxAgeSeconds: z.number().int().min(60).default(3600),
        audioMaxBytes: z
          .number()
          .int()
          .min(1024 * 1024)
          .default(2 * 1024 ** 3),
        /** JetStream replicas of the audio stream and the demand bucket (3 on a 3-node cluster). */
        replicas: z.number().int().min(1).max(5).default(1),
      })
      .prefault({})
      .superRefine((bus, ctx) => {
        if (bus.kind === 'nats' && !bus.natsUrl)
          ctx.addIssue({ code: 'custom', path: ['natsUrl'], message: 'required with kind "nats"' });
      }),
    tls: z
      .object({
        certFile: z.string().optional(),
        keyFile: z.string().optional(),
      })
      .optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.role === 'all') return;
    if (config.bus.kind !== 'nats')
      ctx.addIssue({
        code: 'custom',
        path: ['bus', 'natsUrl'],
        message: `role "${config.role}" needs NATS: set --nats URL or BABELCAST_NATS_URL`,
      });
    if (config.store.kind !== 'postgres')
      ctx.addIssue({
        code: 'custom',
        path: ['store', 'postgresUrl'],
        message: `role "${config.role}" needs PostgreSQL: set --postgres URL or BABELCAST_POSTGRES_URL`,
      });
  });

export type BabelcastConfig = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Environment variables → partial config. Only documented variables are read. */
export function configFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const set = (path: string[], value: unknown) => {
    let node = out;
    for (const key of path.slice(0, -1)) {
      node[key] ??= {};
      node = node[key] as Record<string, unknown>;
    }
    node[path.at(-1)!] = value;
  };
  if (env.BABELCAST_HOST) set(['host'], env.BABELCAST_HOST);
  if (env.BABELCAST_PORT) set(['port'], env.BABELCAST_PORT);
  if (env.BABELCAST_PUBLIC_URL) set(['publicUrl'], env.BABELCAST_PUBLIC_URL);
  if (env.BABELCAST_DATA_DIR) set(['dataDir'], env.BABELCAST_DATA_DIR);
  if (env.BABELCAST_POSTGRES_URL) {
    set(['store', 'kind'], 'postgres');
    set(['store', 'postgresUrl'], env.BABELCAST_POSTGRES_URL);
  }
  if (env.BABELCAST_TRUST_PROXY) set(['trustProxy'], Number(env.BABELCAST_TRUST_PROXY));
  if (env.BABELCAST_LOG_LEVEL) set(['logLevel'], env.BABELCAST_LOG_LEVEL);
  if (env.BABELCAST_ENGINES) set(['engines', 'preset'], env.BABELCAST_ENGINES);
  if (env.BABELCAST_ROLE) set(['role'], env.BABELCAST_ROLE);
  if (env.BABELCAST_PIPELINE_MODE) set(['pipeline', 'mode'], env.BABELCAST_PIPELINE_MODE);
  if (env.BABELCAST_NATS_URL) {
    set(['bus', 'kind'], 'nats');
    set(['bus', 'natsUrl'], env.BABELCAST_NATS_URL);
  }
  if (env.BABELCAST_JWKS_URL) set(['auth', 'jwt', 'jwksUrl'], env.BABELCAST_JWKS_URL);
  if (env.BABELCAST_JWT_SECRET) set(['auth', 'jwt', 'hs256Secret'], env.BABELCAST_JWT_SECRET);
  if (env.BABELCAST_JWT_ISSUER) set(['auth', 'jwt', 'issuer'], env.BABELCAST_JWT_ISSUER);
  if (env.BABELCAST_JWT_AUDIENCE) set(['auth', 'jwt', 'audience'], env.BABELCAST_JWT_AUDIENCE);
  if (env.BABELCAST_METRICS_TOKEN) set(['metrics', 'token'], env.BABELCAST_METRICS_TOKEN);
  if (env.BABELCAST_API_TOKEN) set(['auth', 'apiTokens'], [{ name: 'env', token: env.BABELCAST_API_TOKEN }]);
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = isObject(v) && isObject(out[k]) ? merge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

export function loadConfig(
  options: { file?: string; env?: NodeJS.ProcessEnv; overrides?: ConfigInput | Record<string, unknown> } = {},
): BabelcastConfig {
  const env = options.env ?? process.env;
  let fromFile: Record<string, unknown> = {};
  const file = options.file ?? env.BABELCAST_CONFIG;
  if (file) {
    try {
      fromFile = JSON.parse(readFileSync(resolve(file), 'utf8'));
    } catch (err) {
      throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
    }
  }
  const merged = merge(
    merge(fromFile, configFromEnv(env)),
    (options.overrides ?? {}) as Record<string, unknown>,
  );
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
