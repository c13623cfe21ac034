/**
 * A benchmark cluster on this machine's NATS (JetStream) and PostgreSQL: gateway and worker
 * processes (bench/lib/cluster-node.ts), each run with its own NATS prefix and PostgreSQL schema
 * (removed by `destroy()`); plus the clients the cluster part drives it with: a speaker that
 * streams PCM in real time, and a recording listener that keeps every caption as received.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { NatsBus } from '@babelcast/bus-nats';
import { within } from '@babelcast/core';
import { encodeSpeakerAudioFrame, PROTOCOL_VERSION } from '@babelcast/protocol';
import { dropSchemas, TEST_POSTGRES_URL, testSchemaName } from '@babelcast/store-postgres/testing';
import WebSocket from 'ws';
import { ChildRequests, stopChild } from './child-rpc.ts';
import type { Usage } from './server-client.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const NATS_URL = process.env.BABELCAST_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
export const POSTGRES_URL = TEST_POSTGRES_URL;
const wallMs = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type Role = 'gateway' | 'worker';

export class ClusterNode {
  private readonly requests: ChildRequests;
  exited = false;
  /** How it ended, and whether the benchmark killed it on purpose (a failover run). */
  exit: { code: number | null; signal: string | null } | null = null;
  killedOnPurpose = false;
  stderr = '';
  private constructor(
    readonly role: Role,
    readonly name: string,
    readonly child: ChildProcess,
    public url = '',
  ) {
    this.requests = new ChildRequests(child, `${name} is gone`);
    child.stderr!.on('data', (d) => {
      this.stderr += d;
      if (this.stderr.length > 20_000) this.stderr = this.stderr.slice(-10_000);
    });
    child.once('exit', (code, signal) => {
      this.exited = true;
      this.exit = { code, signal };
      this.requests.answerPending(null);
    });
  }

  static async start(role: Role, name: string, config: Record<string, unknown>): Promise<ClusterNode> {
    const child = fork(join(here, 'cluster-node.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, BENCH_ROLE: role, BENCH_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const node = new ClusterNode(role, name, child);
    node.url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${name} did not start in 60 s: ${node.stderr.trim().slice(-2000)}`));
      }, 60_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code}) before it was ready: ${node.stderr.trim().slice(-2000)}`));
      });
      child.once('message', (m: { url: string }) => {
        clearTimeout(timer);
        resolve(m.url);
      });
    });
    return node;
  }

  /** The node's answer, or null once it is gone (a failover run kills nodes on purpose). */
  request<T>(cmd: string): Promise<T | null> {
    if (this.exited || !this.child.connected) return Promise.resolve(null);
    return this.requests.send({ cmd });
  }

  async usage(): Promise<Usage | null> {
    return this.request<Usage>('usage');
  }

  /** Sessions a worker holds (its /readyz), 0 when it does not answer. */
  async sessions(): Promise<number> {
    if (this.exited) return 0;
    try {
      const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) });
      return ((await res.json()) as { sessions?: number }).sessions ?? 0;
    } catch {
      return 0;
    }
  }

  /** A counter or gauge from /metrics summed over its label sets; null when it does not answer. */
  async metric(name: string): Promise<number | null> {
    if (this.exited) return null;
    try {
      const text = await (await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
      let sum = 0;
      for (const line of text.split('\n'))
        if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.split(' ').at(-1));
      return sum;
    } catch {
      return null;
    }
  }

  kill(): void {
    this.killedOnPurpose = true;
    this.child.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    this.killedOnPurpose = true;
    await stopChild(this.child, () => this.request('stop'), 15_000);
  }
}

/** Gateways and workers sharing one NATS prefix and one PostgreSQL schema. */
export class Cluster {
  readonly prefix = `bcbench_${randomBytes(5).toString('hex')}`;
  readonly schema = testSchemaName('bc_bench');
  readonly token = randomBytes(24).toString('hex');
  readonly gateways: ClusterNode[] = [];
  readonly workers: ClusterNode[] = [];
  private readonly all: ClusterNode[] = [];
  private workerCount = 0;

  constructor(private readonly extraConfig: Record<string, unknown> = {}) {}

  config(): Record<string, unknown> {
    return {
      logLevel: 'warn',
      store: {
        kind: 'postgres',
        postgresUrl: POSTGRES_URL,
        postgresSchema: this.schema,
        postgresPoolSize: 4,
      },
      bus: { kind: 'nats', natsUrl: NATS_URL, natsPrefix: this.prefix, audioMaxAgeSeconds: 600 },
      auth: { apiTokens: [{ name: 'bench', token: this.token }] },
      ...this.extraConfig,
    };
  }

  /** The first gateway alone (it creates the schema), then the rest side by side. */
  async start(gateways: number, workers: number): Promise<void> {
    const first = await ClusterNode.start('gateway', 'gateway A', this.config());
    this.add(first);
    await Promise.all([
      ...Array.from({ length: gateways - 1 }, (_, i) =>
        ClusterNode.start('gateway', `gateway ${String.fromCharCode(66 + i)}`, this.config()).then((n) =>
          this.add(n),
        ),
      ),
      ...Array.from({ length: workers }, () => this.addWorker()),
    ]);
  }

  private add(n: ClusterNode): ClusterNode {
    this.all.push(n);
    (n.role === 'gateway' ? this.gateways : this.workers).push(n);
    return n;
  }

  async addWorker(): Promise<ClusterNode> {
    this.workerCount++;
    return this.add(await ClusterNode.start('worker', `worker ${this.workerCount}`, this.config()));
  }

  /** Nodes that ended without the benchmark asking: how, and the end of their stderr. */
  unexpectedExits(): Array<{ node: string; code: number | null; signal: string | null; stderr: string }> {
    return this.all
      .filter((n) => n.exited && !n.killedOnPurpose)
      .map((n) => ({ node: n.name, ...n.exit!, stderr: n.stderr.trim().slice(-1500) }));
  }

  /** Starts a replacement for each gateway that ended (same place in `gateways`). */
  async reviveGateways(): Promise<string[]> {
    const revived: string[] = [];
    for (const [i, g] of this.gateways.entries()) {
      if (!g.exited) continue;
      const n = await ClusterNode.start('gateway', `${g.name} (restarted)`, this.config());
      this.all.push(n);
      this.gateways[i] = n;
      revived.push(n.name);
    }
    return revived;
  }

  /** Workers still running. */
  liveWorkers(): ClusterNode[] {
    return this.workers.filter((w) => !w.exited);
  }

  forget(worker: ClusterNode): void {
    const i = this.workers.indexOf(worker);
    if (i >= 0) this.workers.splice(i, 1);
  }

  async createSession(title: string): Promise<string> {
    const res = await fetch(`${this.gateways[0]!.url}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify({ sourceLanguage: 'en', title }),
    });
    if (!res.ok) throw new Error(`cannot create a session: HTTP ${res.status} ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  }

  async endSession(id: string): Promise<void> {
    await fetch(`${this.gateways[0]!.url}/api/sessions/${id}/end`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}` },
    }).catch(() => {});
  }

  /** Stop every node, then remove the NATS stream and buckets and the schema. Errors are collected, not thrown. */
  async destroy(): Promise<string[]> {
    const errors: string[] = [];
    await Promise.all(
      this.all.map((n) => n.stop().catch((e: Error) => errors.push(`${n.name}: ${e.message}`))),
    );
    await NatsBus.destroy(NATS_URL, this.prefix).catch((e: Error) =>
      errors.push(`NATS cleanup: ${e.message}`),
    );
    await dropSchemas([this.schema]).catch((e: Error) => errors.push(`PostgreSQL cleanup: ${e.message}`));
    return errors;
  }
}

/** A caption or draft as a listener received it. */
export interface Received {
  type: 'caption' | 'draft';
  kind?: string;
  seq: number;
  segmentId: number;
  lang: string;
  emittedAt: number;
  /** Receive time, epoch ms (fractional). */
  at: number;
}

/** One listener that keeps every live caption, draft and audio packet seq (replays of history apart). */
export class RecordingListener {
  readonly ws: WebSocket;
  readonly received: Received[] = [];
  /** Audio packets: [seq, receive time]. */
  readonly audio: Array<[number, number]> = [];
  replayed = 0;
  welcomed = false;
  closedCode: number | null = null;

  constructor(
    gatewayUrl: string,
    sessionId: string,
    readonly language: string,
  ) {
    this.ws = new WebSocket(
      `${gatewayUrl.replace(/^http/, 'ws')}/ws/listener?session=${sessionId}&targetLanguage=${encodeURIComponent(language)}`,
      { perMessageDeflate: false },
    );
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      const at = wallMs();
      if (isBinary) {
        this.audio.push([data.readUInt32LE(4), at]);
        return;
      }
      const m = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
      if (m.type === 'welcome') this.welcomed = true;
      else if (m.type === 'caption' || m.type === 'draft') {
        if (m.replay) {
          this.replayed++;
          return;
        }
        this.received.push({
          type: m.type,
          kind: m.kind as string | undefined,
          seq: m.seq as number,
          segmentId: m.segmentId as number,
          lang: m.lang as string,
          emittedAt: m.emittedAt as number,
          at,
        });
      }
    });
    this.ws.on('close', (code) => {
      this.closedCode = code;
    });
    this.ws.on('error', () => {});
  }

  async ready(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.welcomed) {
      if (this.closedCode !== null) throw new Error(`listener closed with ${this.closedCode}`);
      if (Date.now() > deadline) throw new Error('listener not welcomed in time');
      await sleep(20);
    }
  }

  captions(): Received[] {
    return this.received.filter((r) => r.type === 'caption');
  }

  /** Last time anything arrived (epoch ms), or 0. */
  lastAt(): number {
    return Math.max(this.received.at(-1)?.at ?? 0, this.audio.at(-1)?.[1] ?? 0);
  }

  close(): void {
    this.ws.terminate();
  }
}

/** A speaker on one gateway: hello, wait for ready, then 100 ms frames at the pace of speech. */
export class Speaker {
  readonly ws: WebSocket;
  private readyResolve!: () => void;
  private readonly readyPromise = new Promise<void>((r) => {
    this.readyResolve = r;
  });
  acked = 0;
  sent = 0;
  closedCode: number | null = null;
  stopped = false;

  constructor(gatewayUrl: string, sessionId: string, token: string) {
    this.ws = new WebSocket(`${gatewayUrl.replace(/^http/, 'ws')}/ws/speaker?session=${sessionId}`, {
      perMessageDeflate: false,
    });
    this.ws.once('open', () =>
      this.ws.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, token })),
    );
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      const m = JSON.parse(data.toString('utf8')) as { type: string; seq?: number };
      if (m.type === 'ready') this.readyResolve();
      else if (m.type === 'ack' && typeof m.seq === 'number') this.acked = Math.max(this.acked, m.seq);
    });
    this.ws.on('close', (code) => {
      this.closedCode = code;
    });
    this.ws.on('error', () => {});
  }

  async ready(timeoutMs = 15_000): Promise<void> {
    const ok = await within(this.readyPromise, timeoutMs);
    if (!ok) throw new Error(`speaker not ready in time (closed ${this.closedCode})`);
  }

  /**
   * Streams `samples` (16 kHz PCM16) in 100 ms frames on a real-time schedule, then `silenceMs` of
   * silence; `onFrame(i, ms)` runs after frame i (ms of audio sent so far) and may be awaited.
   */
  async stream(
    samples: Int16Array,
    options: { silenceMs?: number; onFrame?: (i: number, msSent: number) => void } = {},
  ): Promise<void> {
    const frame = 1600;
    const frames: Int16Array[] = [];
    for (let at = 0; at < samples.length; at += frame) {
      const f = new Int16Array(frame);
      f.set(samples.subarray(at, at + frame));
      frames.push(f);
    }
    for (let i = 0; i < Math.round((options.silenceMs ?? 0) / 100); i++) frames.push(new Int16Array(frame));
    const start = wallMs();
    for (const [i, pcm] of frames.entries()) {
      if (this.stopped || this.closedCode !== null) return;
      this.sent++;
      this.ws.send(encodeSpeakerAudioFrame({ seq: this.sent, captureTimeMs: Date.now(), samples: pcm }));
      options.onFrame?.(i, (i + 1) * 100);
      const wait = start + (i + 1) * 100 - wallMs();
      if (wait > 0) await sleep(wait);
    }
  }

  close(): void {
    this.stopped = true;
    this.ws.close();
  }
}

/** Waits until nothing has arrived at any of these listeners for `quietMs` (at most `maxMs`). */
export async function settle(listeners: RecordingListener[], quietMs: number, maxMs: number): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < maxMs) {
    const last = Math.max(start, ...listeners.map((l) => l.lastAt()));
    if (wallMs() - last >= quietMs) return;
    await sleep(200);
  }
}
