import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import {
  EngineBase,
  EngineError,
  type EngineInfo,
  EngineUnavailableError,
  type MtCapabilities,
  type MtEngine,
  type TranslateRequest,
} from '@babelcast/core/engines';
import { type ApyLaunch, ApyProcess, LOOPBACK_LAUNCHER } from './apy-process.ts';
import type { GroupMemory } from './process-group.ts';
import { type ApertiumHop, buildRoutes, type InstalledPair, type Route, routeKey } from './pair-matrix.ts';

export interface ApertiumMtOptions {
  /** apertium-apy entry script: a path, or a name looked up on PATH. Default "apertium-apy". */
  apyPath?: string;
  /** Directory of installed `.mode` files. Default /usr/share/apertium/modes (Debian). */
  pairsPath?: string;
  /**
   * Python interpreter for the loopback launcher. Default: the apy script's `#!` line, which on
   * Debian is /usr/bin/python3 (a pyenv or venv `python3` on PATH lacks apy's modules).
   */
  python?: string;
  /**
   * Bind apy to 127.0.0.1 only (default true). apy itself always listens on every interface;
   * true runs it through a small Python launcher that changes the bind address. Set false for an
   * apy that is not a Python script; it then listens on all interfaces.
   */
  loopbackOnly?: boolean;
  /** Port for apy; 0 (default) picks a free one. */
  port?: number;
  /** How long apy may take to answer /listPairs after a (re)start. Default 30 s. */
  startTimeoutMs?: number;
  /** Per HTTP request to apy. Default 10 s. */
  requestTimeoutMs?: number;
  /** How long a request waits for apy to come back during a restart. Default 15 s. */
  restartWaitMs?: number;
  /** Interval of health checks while running; 0 disables. Default 15 s. */
  healthIntervalMs?: number;
  /** Extra apy arguments, e.g. ["--max-pipes-per-pair", "2"]. */
  extraArgs?: string[];
  /** Pivot language for pairs with no direct Apertium pair; null disables pivoting. Default "es". */
  pivot?: string | null;
  /** Target varieties to use instead of the standard one, e.g. { ca: 'valencia', pt: 'BR' }. */
  variants?: Record<string, string>;
  /** Lifecycle notes (start, crash, restart) for the server log. */
  onNotice?: (message: string) => void;
}

const INSTALL_HINT =
  'install it with: apt-get install apertium-apy apertium-en-es (and further pairs such as apertium-fr-es, apertium-es-pt, apertium-es-it, apertium-en-ca)';

/**
 * Rule-based translation with Apertium through its HTTP server, apertium-apy, which runs as a
 * supervised child process. Quality is modest (FLORES en→es chrF ≈ 44) but it is fast, small and
 * fully offline from Debian packages.
 */
export class ApertiumMt extends EngineBase implements MtEngine {
  readonly info: EngineInfo = {
    id: 'apertium',
    kind: 'mt',
    description: 'Apertium rule-based MT via apertium-apy',
    local: true,
  };
  readonly capabilities: MtCapabilities = { pairs: [] };
  private routes = new Map<string, Route>();
  private apy: ApyProcess | undefined;
  private readonly requestTimeoutMs: number;
  private readonly restartWaitMs: number;

  constructor(private readonly options: ApertiumMtOptions = {}) {
    super();
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.restartWaitMs = options.restartWaitMs ?? 15_000;
  }

  /** apy's pid (also its process group id); changes when apy is restarted. */
  get apyPid(): number | undefined {
    return this.apy?.pid;
  }

  /** How many times apy has been started, the first start included. */
  get apyStarts(): number {
    return this.apy?.starts ?? 0;
  }

  /** Memory of apy and its translation pipelines (Linux; about 150 MB PSS per loaded pair). */
  memory(): GroupMemory {
    return this.apy?.memory() ?? { rssBytes: 0, pssBytes: 0 };
  }

  async translate({ text, from, to, signal }: TranslateRequest): Promise<string> {
    signal?.throwIfAborted();
    this.assertOpen();
    const route = this.routes.get(routeKey(from, to));
    if (!route) throw new EngineError(this.info.id, `no Apertium pair ${from}→${to}`, false);
    if (!text.trim()) return '';
    let result = text;
    for (const hop of route.hops) result = await this.translateHop(hop, result, signal);
    // Apertium leaves a double space where it drops a word it could not place; captions should not show it.
    return result.replace(/\s+/g, ' ').trim();
  }

  protected async start(): Promise<void> {
    const launch = await this.resolveLaunch();
    const apy = new ApyProcess({
      engineId: this.info.id,
      launch,
      port: this.options.port ?? 0,
      startTimeoutMs: this.options.startTimeoutMs ?? 30_000,
      healthIntervalMs: this.options.healthIntervalMs ?? 15_000,
      backoffInitialMs: 200,
      backoffMaxMs: 30_000,
      onNotice: this.options.onNotice,
    });
    try {
      await apy.start();
    } catch (cause) {
      throw new EngineUnavailableError(this.info.id, `apertium-apy did not start: ${errorText(cause)}`, {
        cause,
      });
    }
    this.apy = apy;
    try {
      this.routes = buildRoutes(await this.listPairs(), {
        pivot: this.options.pivot === undefined ? 'es' : this.options.pivot,
        variants: this.options.variants ?? {},
      });
    } catch (err) {
      await this.stop();
      if (err instanceof EngineUnavailableError) throw err;
      throw new EngineUnavailableError(this.info.id, `cannot list apertium-apy pairs: ${errorText(err)}`, {
        cause: err,
      });
    }
    if (this.routes.size === 0) {
      await this.stop();
      throw new EngineUnavailableError(this.info.id, `no language pairs installed; ${INSTALL_HINT}`);
    }
    this.capabilities.pairs = [...this.routes.values()].map((r) => r.pair);
  }

  protected async stop(): Promise<void> {
    const apy = this.apy;
    this.apy = undefined;
    await apy?.stop();
  }

  private async resolveLaunch(): Promise<ApyLaunch> {
    const apyPath = await findExecutable(this.options.apyPath ?? 'apertium-apy');
    if (!apyPath) throw new EngineUnavailableError(this.info.id, `apertium-apy not found; ${INSTALL_HINT}`);
    const pairsPath = this.options.pairsPath ?? '/usr/share/apertium/modes';
    try {
      await access(pairsPath, constants.R_OK);
    } catch {
      throw new EngineUnavailableError(
        this.info.id,
        `no Apertium modes directory at ${pairsPath}; ${INSTALL_HINT}`,
      );
    }
    const common = {
      pairsPath,
      extraArgs: this.options.extraArgs ?? [],
      apyTimeoutSeconds: Math.max(1, Math.ceil(this.requestTimeoutMs / 1000)),
    };
    if (this.options.loopbackOnly === false) return { command: apyPath, prefixArgs: [], ...common };
    const python = this.options.python ?? (await shebangInterpreter(apyPath)) ?? '/usr/bin/python3';
    return { command: python, prefixArgs: ['-c', LOOPBACK_LAUNCHER, apyPath], ...common };
  }

  private async listPairs(): Promise<InstalledPair[]> {
    const base = await this.apy!.whenReady(this.restartWaitMs);
    const body = (await (
      await fetch(`${base}/listPairs`, { signal: AbortSignal.timeout(this.requestTimeoutMs) })
    ).json()) as {
      responseData?: InstalledPair[];
    };
    if (!Array.isArray(body.responseData))
      throw new EngineUnavailableError(this.info.id, 'unexpected /listPairs answer from apertium-apy');
    return body.responseData;
  }

  /** One apy request; a request that cannot reach apy waits for a restart and is retried once. */
  private async translateHop(hop: ApertiumHop, text: string, signal?: AbortSignal): Promise<string> {
    const apy = this.apy;
    if (!apy) throw new EngineError(this.info.id, 'engine is closed', false);
    for (let attempt = 0; ; attempt++) {
      const base = await apy.whenReady(this.restartWaitMs, signal);
      try {
        return await this.post(base, hop, text, signal);
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        if (err instanceof EngineError) throw err;
        if ((err as Error).name === 'TimeoutError')
          throw new EngineError(
            this.info.id,
            `apertium-apy did not answer within ${this.requestTimeoutMs} ms`,
          );
        if (attempt > 0)
          throw new EngineError(this.info.id, `cannot reach apertium-apy: ${errorText(err)}`, true, {
            cause: err,
          });
        await apy.recover();
      }
    }
  }

  private async post(base: string, hop: ApertiumHop, text: string, signal?: AbortSignal): Promise<string> {
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    const res = await fetch(`${base}/translate`, {
      method: 'POST',
      // format=txt: apy's default HTML deformatter would eat "<" and "&" in speech transcripts.
      // markUnknown=no: listeners should not see Apertium's "*" before words it does not know.
      body: new URLSearchParams({
        langpair: `${hop.from}|${hop.to}`,
        q: text,
        markUnknown: 'no',
        format: 'txt',
      }),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const body = (await res.json().catch(() => undefined)) as
      | { responseData?: { translatedText?: unknown }; explanation?: string }
      | undefined;
    const translated = body?.responseData?.translatedText;
    if (res.ok && typeof translated === 'string') return translated;
    const why = body?.explanation ?? `HTTP ${res.status}`;
    // 4xx: this request can never succeed (pair vanished, bad input); 5xx: a pipeline hiccup.
    throw new EngineError(
      this.info.id,
      `apertium-apy refused ${hop.from}→${hop.to}: ${why}`,
      res.status >= 500,
    );
  }
}

async function findExecutable(name: string): Promise<string | undefined> {
  const candidates =
    isAbsolute(name) || name.includes('/')
      ? [name]
      : (process.env.PATH ?? '')
          .split(delimiter)
          .filter(Boolean)
          .map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

async function shebangInterpreter(script: string): Promise<string | undefined> {
  try {
    const head = (await readFile(script, 'utf8')).slice(0, 200);
    const match = /^#!\s*(\S+)/.exec(head);
    const interpreter = match?.[1];
    return interpreter && !interpreter.endsWith('/env') ? interpreter : undefined;
  } catch {
    return undefined;
  }
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
  return err.message + cause;
}
