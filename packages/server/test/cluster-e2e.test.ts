/**
 * Cluster mode on this machine's NATS (JetStream) and PostgreSQL: 2 gateways and 2 workers, each
 * its own process (fake engines, a real clip). A speaker streams into gateway A; Spanish
 * listeners sit on both gateways. Mid-talk the worker holding the session is killed with SIGKILL:
 * the other worker must hold the session within 5 s and go on from the audio stream, with no
 * frame missing, no caption lost or shown twice, and translations on both gateways.
 *
 * Each run has its own NATS prefix (stream and buckets) and PostgreSQL schema, removed afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { NatsBus } from '@babelcast/bus-nats';
import { readWavFile } from '@babelcast/core';
import { speechClip } from '@babelcast/core/testing';
import { CloseCode, encodeSpeakerAudioFrame } from '@babelcast/protocol';
import { dropSchemas, TEST_POSTGRES_URL, testSchemaName } from '@babelcast/store-postgres/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { connectListener, connectSpeaker, createSession, TestClient } from './ws-client.ts';

const NATS_URL = process.env.BABELCAST_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const FIXTURE = fileURLToPath(new URL('./fixtures/cluster-node.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const prefix = `bctest_${randomBytes(5).toString('hex')}`;
const schema = testSchemaName('bc_cluster');
const token = randomBytes(24).toString('hex');

interface Node {
  role: string;
  url: string;
  child: ChildProcess;
  exited: boolean;
}
const nodes: Node[] = [];

async function spawnNode(role: 'gateway' | 'worker'): Promise<Node> {
  const overrides = {
    logLevel: 'warn',
    store: { kind: 'postgres', postgresUrl: TEST_POSTGRES_URL, postgresSchema: schema, postgresPoolSize: 4 },
    bus: { kind: 'nats', natsUrl: NATS_URL, natsPrefix: prefix, audioMaxAgeSeconds: 600 },
    auth: { apiTokens: [{ name: 'cluster', token }] },
    // The default, simultaneous mode: chunks are translated while the sentence is spoken, so a
    // takeover lands in the middle of a sentence that is partly translated already.
    pipeline: { warmUp: false },
  };
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, role, JSON.stringify(overrides)], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
  });
  const node: Node = { role, url: '', child, exited: false };
  child.once('exit', () => {
    node.exited = true;
  });
  node.url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not start: ${stderr}`)), 60_000);
    child.once('message', (m: { url: string }) => {
      clearTimeout(timer);
      resolve(m.url);
    });
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code}: ${stderr}`)));
  });
  nodes.push(node);
  return node;
}

async function heldBy(worker: Node): Promise<number> {
  if (worker.exited) return 0;
  const res = await fetch(`${worker.url}/readyz`).catch(() => null);
  return res ? ((await res.json()) as { sessions: number }).sessions : 0;
}

async function metric(worker: Node, name: string): Promise<number> {
  const text = await (await fetch(`${worker.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
}

afterAll(async () => {
  await Promise.all(
    nodes.map(async (n) => {
      if (n.exited) return;
      const gone = new Promise((r) => n.child.once('exit', r));
      n.child.send({ type: 'close' });
      const timer = setTimeout(() => n.child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }),
  );
  await NatsBus.destroy(NATS_URL, prefix);
  await dropSchemas([schema]);
}, 60_000);

describe('cluster: 2 gateways, 2 workers, NATS and PostgreSQL', () => {
  it('survives the death of the worker holding the session mid-talk', async () => {
    // The first gateway makes the schema; the others find it.
    const gatewayA = await spawnNode('gateway');
    const [gatewayB, worker1, worker2] = await Promise.all([
      spawnNode('gateway'),
      spawnNode('worker'),
      spawnNode('worker'),
    ]);
    const workers = [worker1, worker2];

    const id = await createSession(gatewayA.url, token);
    const onA = await connectListener(gatewayA.url, id, 'es');
    const onB = await connectListener(gatewayB.url, id, 'es');
    const sp = await connectSpeaker(gatewayA.url, id, token);
    await sp.until(() => sp.messages('ready').length === 1, 'ready');

    const { samples } = readWavFile(speechClip('long-en-01.wav'));
    const frames: Int16Array[] = [];
    for (let i = 0; i < 5; i++) frames.push(new Int16Array(1600));
    for (let at = 0; at < 16000 * 24; at += 1600) frames.push(samples.slice(at, at + 1600));
    for (let i = 0; i < 20; i++) frames.push(new Int16Array(1600));

    const killAt = Math.floor(frames.length * 0.45);
    let victim: Node | null = null;
    let takeover: Promise<number> | null = null;
    for (const [i, pcm] of frames.entries()) {
      sp.send(encodeSpeakerAudioFrame({ seq: i + 1, captureTimeMs: Date.now(), samples: pcm }));
      // 100 ms frames at twice the pace of speech.
      await new Promise((r) => setTimeout(r, 50));
      if (i === killAt) {
        for (const w of workers) if ((await heldBy(w)) > 0) victim = w;
        expect(victim, 'a worker holds the session').not.toBeNull();
        victim!.child.kill('SIGKILL');
        const survivor = workers.find((w) => w !== victim)!;
        // Watched while the speaker goes on talking.
        takeover = (async () => {
          const killedAt = Date.now();
          while (Date.now() - killedAt < 15_000) {
            if ((await heldBy(survivor)) > 0) return Date.now() - killedAt;
            await new Promise((r) => setTimeout(r, 100));
          }
          return Number.POSITIVE_INFINITY;
        })();
      }
    }
    const survivor = workers.find((w) => w !== victim)!;
    // Claimed within 5 s of the kill (as the test saw it, polling every 100 ms).
    expect(await takeover).toBeLessThan(5_000);

    // Every frame was acknowledged to the speaker: the gateway had it stored in the stream.
    await sp.until(() => sp.messages('ack').some((a) => a.seq === frames.length), 'every frame acknowledged');
    const acks = sp.messages('ack').map((a) => a.seq as number);
    expect(acks).toEqual([...acks].sort((a, b) => a - b));

    // The survivor went on from the stream with no frame missing.
    await onA.until(
      () => onA.messages('caption').filter((c) => c.kind === 'final').length >= 4,
      'finals after the takeover',
      20_000,
    );
    const resp = await fetch(`${gatewayA.url}/api/sessions/${id}/end`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(resp.status).toBe(200);
    expect((await onA.closedWith()).code).toBe(CloseCode.SESSION_ENDED);
    expect((await onB.closedWith()).code).toBe(CloseCode.SESSION_ENDED);
    expect(await metric(survivor, 'babelcast_worker_audio_gap_frames_total')).toBe(0);
    expect(await metric(survivor, 'babelcast_worker_takeovers_total')).toBe(1);

    for (const l of [onA, onB]) {
      const captions = l.messages('caption');
      const seqs = captions.map((c) => c.seq as number);
      // No caption twice and none out of order.
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      const finals = captions.filter((c) => c.kind === 'final');
      const ids = finals.map((f) => f.segmentId as number);
      // Every sentence once, none skipped.
      expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
      expect(ids[0]).toBe(1);
      const translations = captions.filter((c) => c.kind === 'translation');
      // Every sentence translated, word for word, the one recognised again by the successor too
      // (fake engines: the translation is the text marked "[es]"): nothing lost, nothing twice.
      const words = (text: unknown) =>
        String(text)
          .replace('[es]', '')
          .toLowerCase()
          .split(/[^a-z]+/)
          .filter(Boolean);
      for (const f of finals) {
        const chunks = translations.filter((t) => t.segmentId === f.segmentId);
        expect(
          chunks.flatMap((t) => words(t.text)),
          `sentence ${f.segmentId}`,
        ).toEqual(words(f.text));
      }
      // …and no part of the talk translated twice: chunks follow each other in the speech.
      const ends = translations.map((t) => t.mediaEndMs as number);
      for (let i = 1; i < ends.length; i++) expect(ends[i]).toBeGreaterThan(ends[i - 1]!);
    }
    // Both gateways' listeners read the same talk.
    const texts = (l: typeof onA) =>
      l
        .messages('caption')
        .filter((c) => c.kind === 'translation')
        .map((c) => c.text);
    expect(texts(onB)).toEqual(texts(onA));
    sp.close();
  }, 150_000);

  it('survives the death of the gateway the speaker is on: the speaker and its listeners move to another', async () => {
    const [doomed, other] = await Promise.all([
      spawnNode('gateway'),
      spawnNode('gateway'),
      spawnNode('worker'),
    ]);
    const id = await createSession(doomed!.url, token);
    const movingListener = await connectListener(doomed!.url, id, 'es');
    const stayingListener = await connectListener(other!.url, id, 'es');
    let sp = await connectSpeaker(doomed!.url, id, token);
    await sp.until(() => sp.messages('ready').length === 1, 'ready');

    const { samples } = readWavFile(speechClip('long-en-02.wav'));
    const frames: Int16Array[] = [];
    for (let i = 0; i < 5; i++) frames.push(new Int16Array(1600));
    for (let at = 0; at < 16000 * 16; at += 1600) frames.push(samples.slice(at, at + 1600));
    for (let i = 0; i < 20; i++) frames.push(new Int16Array(1600));
    const send = (i: number) =>
      sp.send(encodeSpeakerAudioFrame({ seq: i + 1, captureTimeMs: Date.now(), samples: frames[i]! }));

    const half = Math.floor(frames.length / 2);
    for (let i = 0; i < half; i++) {
      send(i);
      await new Promise((r) => setTimeout(r, 50));
    }
    const ackedBefore = Math.max(0, ...sp.messages('ack').map((a) => a.seq as number));
    doomed!.child.kill('SIGKILL');
    await sp.closedWith();
    await movingListener.closedWith();

    // Through the load balancer the pages land on another gateway. The speaker learns where the
    // stream stands and resends what follows (a real page resends what was not acknowledged).
    sp = await connectSpeaker(other!.url, id, token);
    await sp.until(() => sp.messages('ready').length === 1, 'ready on the other gateway');
    const lastSeq = sp.messages('ready')[0]!.lastSeq as number;
    expect(lastSeq).toBeGreaterThanOrEqual(ackedBefore);
    expect(lastSeq).toBeLessThanOrEqual(half);
    const seenBefore = movingListener.messages('caption');
    const since = Math.max(0, ...seenBefore.map((c) => c.seq as number));
    const moved = new TestClient(
      `${other!.url.replace(/^http/, 'ws')}/ws/listener?session=${id}&targetLanguage=es&since=${since}`,
    );
    for (let i = lastSeq; i < frames.length; i++) {
      send(i);
      await new Promise((r) => setTimeout(r, 50));
    }
    await sp.until(() => sp.messages('ack').some((a) => a.seq === frames.length), 'every frame acknowledged');
    await stayingListener.until(
      () => stayingListener.messages('caption').filter((c) => c.kind === 'final').length >= 2,
      'finals',
      20_000,
    );
    await new Promise((r) => setTimeout(r, 1500));
    const resp = await fetch(`${other!.url}/api/sessions/${id}/end`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(resp.status).toBe(200);
    await moved.closedWith();
    await stayingListener.closedWith();

    const finalIds = (captions: Record<string, unknown>[]) =>
      captions.filter((c) => c.kind === 'final').map((c) => c.segmentId as number);
    const staying = finalIds(stayingListener.messages('caption'));
    expect(staying).toEqual(staying.map((_, i) => i + 1));
    // The listener that moved has every sentence once: what it saw, then the rest caught up.
    const all = [...seenBefore, ...moved.messages('caption')];
    expect(finalIds(all)).toEqual(staying);
    sp.close();
  }, 150_000);
});
