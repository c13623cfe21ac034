/** A small WebSocket test client that records everything it receives and can wait for a message. */
import { decodeListenerAudioPacket, type ListenerAudioPacket, PROTOCOL_VERSION } from '@babelcast/protocol';
import WebSocket from 'ws';

export interface Received {
  json: Array<Record<string, unknown> & { type: string }>;
  audio: ListenerAudioPacket[];
  closed: { code: number; reason: string } | null;
}

export class TestClient {
  readonly ws: WebSocket;
  readonly received: Received = { json: [], audio: [], closed: null };
  private waiters: (() => void)[] = [];
  readonly opened: Promise<void>;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.ws.on('message', (data: Buffer, binary) => {
      if (binary) this.received.audio.push(decodeListenerAudioPacket(new Uint8Array(data)));
      else this.received.json.push(JSON.parse(data.toString('utf8')));
      this.wake();
    });
    this.ws.on('close', (code, reason) => {
      this.received.closed = { code, reason: reason.toString() };
      this.wake();
    });
    this.ws.on('error', () => {});
  }

  send(message: object | Uint8Array): void {
    this.ws.send(message instanceof Uint8Array ? message : JSON.stringify(message));
  }

  messages(type: string) {
    return this.received.json.filter((m) => m.type === type);
  }

  /** Resolves when `check` passes; rejects with `what` after the timeout. */
  async until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting for ${what}; got ${JSON.stringify(this.received.json.slice(-5))} closed=${JSON.stringify(this.received.closed)}`,
        );
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  closedWith(): Promise<{ code: number; reason: string }> {
    return this.until(() => this.received.closed !== null, 'close').then(() => this.received.closed!);
  }

  close(): void {
    this.ws.close();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** Creates a session as the token's speaker; returns its id. */
export async function createSession(
  serverUrl: string,
  token: string,
  sourceLanguage = 'en',
): Promise<string> {
  const res = await fetch(`${serverUrl}/api/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sourceLanguage }),
  });
  if (res.status !== 201) throw new Error(`session not created: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** A listener connected and welcomed. */
export async function connectListener(
  serverUrl: string,
  sessionId: string,
  lang: string,
): Promise<TestClient> {
  const c = new TestClient(
    `${serverUrl.replace(/^http/, 'ws')}/ws/listener?session=${sessionId}&targetLanguage=${lang}`,
  );
  await c.until(() => c.messages('welcome').length === 1, `${lang} welcome`);
  return c;
}

/** A speaker connected with its hello sent (not yet waiting for `ready`). */
export async function connectSpeaker(
  serverUrl: string,
  sessionId: string,
  token: string,
): Promise<TestClient> {
  const c = new TestClient(`${serverUrl.replace(/^http/, 'ws')}/ws/speaker?session=${sessionId}`);
  await c.opened;
  c.send({ type: 'hello', protocol: PROTOCOL_VERSION, token });
  return c;
}
