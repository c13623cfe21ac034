/**
 * Many listener WebSockets in one process (a child of the benchmark), recording when each caption
 * and audio packet arrives. Receive times are epoch ms with sub-ms precision
 * (performance.timeOrigin + now), comparable with the server process's publish times on the
 * same machine. Driven over IPC: connect → (speaker talks) → report(publish times) → stop.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { type Published, tally } from './fanout-accounting.ts';

const wallMs = () => performance.timeOrigin + performance.now();

interface Listener {
  ws: WebSocket;
  /** Its target language (the URL's targetLanguage). */
  language: string;
  welcomed: boolean;
  closedCode: number | null;
  /** Received seqs and times, appended as they arrive. */
  seqs: number[];
  times: number[];
  /** Captions (partials included), drafts and audio packets this listener got. */
  captions: number;
  drafts: number;
  audio: number;
}

const listeners: Listener[] = [];

function open(url: string): Listener {
  const l: Listener = {
    ws: new WebSocket(url, { perMessageDeflate: false }),
    language: new URL(url).searchParams.get('targetLanguage') ?? '',
    welcomed: false,
    closedCode: null,
    seqs: [],
    times: [],
    captions: 0,
    drafts: 0,
    audio: 0,
  };
  l.ws.on('message', (data: Buffer, isBinary: boolean) => {
    const at = wallMs();
    if (isBinary) {
      // Listener audio packet header: u32 seq at byte 4 (see protocol/frames.ts).
      l.seqs.push(data.readUInt32LE(4));
      l.times.push(at);
      l.audio++;
      return;
    }
    const text = data.toString('utf8');
    if (text.startsWith('{"type":"caption"')) {
      const msg = JSON.parse(text) as { seq: number; replay?: boolean };
      if (msg.replay) return;
      l.seqs.push(msg.seq);
      l.times.push(at);
      l.captions++;
    } else if (text.startsWith('{"type":"draft"')) {
      const msg = JSON.parse(text) as { seq: number };
      l.seqs.push(msg.seq);
      l.times.push(at);
      l.drafts++;
    } else if (!l.welcomed && text.startsWith('{"type":"welcome"')) {
      l.welcomed = true;
    }
  });
  l.ws.on('close', (code) => {
    l.closedCode = code;
  });
  l.ws.on('error', () => {});
  return l;
}

async function connect(
  url: string,
  count: number,
  parallel: number,
): Promise<{ ok: number; failed: number; ms: number }> {
  const started = performance.now();
  let next = 0;
  // Several connects may run at once (one per session): count only this call's listeners.
  const mine: Listener[] = [];
  const worker = async () => {
    while (next < count) {
      next++;
      const l = open(url);
      listeners.push(l);
      mine.push(l);
      const deadline = Date.now() + 30_000;
      while (!l.welcomed && l.closedCode === null && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 5));
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const ok = mine.filter((l) => l.welcomed && l.closedCode === null).length;
  return { ok, failed: mine.length - ok, ms: Math.round(performance.now() - started) };
}

/** Per target language, matched against the probe's publish log (see fanout-accounting.ts). */
function report(published: Published[]) {
  const closed: Record<string, number> = {};
  for (const l of listeners)
    if (l.closedCode !== null) closed[l.closedCode] = (closed[l.closedCode] ?? 0) + 1;
  return {
    listeners: listeners.length,
    byLanguage: tally(listeners, published),
    closed,
    /** Per listener raw counts (whatever was published), to spot one that fell behind. */
    minCaptions: Math.min(...listeners.map((l) => l.captions)),
    minAudio: Math.min(...listeners.map((l) => l.audio)),
    maxCaptions: Math.max(...listeners.map((l) => l.captions)),
    maxAudio: Math.max(...listeners.map((l) => l.audio)),
  };
}

process.on(
  'message',
  async (m: {
    id: number;
    cmd: string;
    url?: string;
    count?: number;
    parallel?: number;
    published?: Published[];
  }) => {
    const reply = (result: unknown) => process.send!({ id: m.id, result });
    if (m.cmd === 'connect') reply(await connect(m.url!, m.count!, m.parallel ?? 50));
    else if (m.cmd === 'report') reply(report(m.published ?? []));
    else if (m.cmd === 'usage') {
      const c = process.cpuUsage();
      reply({
        cpuMs: (c.user + c.system) / 1000,
        wallMs: wallMs(),
        rss: process.memoryUsage().rss,
        rssPeak: 0,
      });
    } else if (m.cmd === 'reset') {
      for (const l of listeners) {
        l.seqs = [];
        l.times = [];
        l.captions = 0;
        l.drafts = 0;
        l.audio = 0;
      }
      reply(null);
    } else if (m.cmd === 'stop') {
      for (const l of listeners) l.ws.terminate();
      reply(null);
      process.disconnect();
    }
  },
);
process.send!({ type: 'ready' });
