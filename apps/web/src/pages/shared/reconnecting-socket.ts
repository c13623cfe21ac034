/**
 * A WebSocket that comes back by itself. What each close means is decided in `refusals.ts`:
 * refusals the server means (bad session, ended, wrong token, old protocol) stop it for good and
 * are shown to the user; a full server or a rate limit is retried slowly; anything else (network
 * drop, server restart, a timeout, a slow listener) is retried quickly.
 */
import { CLOSE_CODE_MEANING, type CloseCode } from '@babelcast/protocol';
import { type Refusal, type Role, refusalForClose } from './refusals.ts';

export type SocketStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface CloseInfo {
  code: number;
  reason: string;
  /** Code of the last `error` message the server sent on that socket before closing it. */
  errorCode?: string;
  /** What the page does about it (see refusals.ts). */
  refusal?: Refusal;
  /** When it retries: ms from now. */
  retryInMs?: number;
}

export interface ReconnectingSocketHandlers {
  /** Called with each new socket once open: say hello here. */
  onOpen(): void;
  onMessage(msg: { type: string } & Record<string, unknown>): void;
  onBinary?(data: Uint8Array): void;
  onStatus(status: SocketStatus, close?: CloseInfo): void;
}

/** The server's reason if it gave one, else what the code means. */
export function describeClose(close: CloseInfo): string {
  if (close.reason) return close.reason;
  return CLOSE_CODE_MEANING[close.code as CloseCode] ?? `connection closed (${close.code})`;
}

export class ReconnectingSocket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  /** Times the socket was re-established after the first connection. */
  reconnects = 0;
  private everOpened = false;
  private lastErrorCode: string | undefined;

  constructor(
    private readonly url: () => string,
    private readonly handlers: ReconnectingSocketHandlers,
    private readonly role: Role = 'listener',
  ) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  send(data: string | Uint8Array): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(data);
    return true;
  }

  sendJson(msg: object): boolean {
    return this.send(JSON.stringify(msg));
  }

  /** The server answered the hello: the link works, so the next outage starts backoff afresh. */
  markHealthy(): void {
    this.attempt = 0;
  }

  /** Drop the current connection and reconnect (e.g. it stopped acknowledging). */
  recycle(): void {
    const ws = this.ws;
    if (!ws) return;
    this.detach(ws);
    ws.close();
    this.scheduleReconnect({ code: 1006, reason: '' });
  }

  stop(code = 1000): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ws = this.ws;
    if (ws) {
      this.detach(ws);
      ws.close(code);
    }
    this.handlers.onStatus('closed');
  }

  private open(): void {
    this.handlers.onStatus(this.everOpened ? 'reconnecting' : 'connecting');
    const ws = new WebSocket(this.url());
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.lastErrorCode = undefined;
    ws.onopen = () => {
      if (this.everOpened) this.reconnects++;
      this.everOpened = true;
      this.handlers.onStatus('open');
      this.handlers.onOpen();
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (typeof ev.data === 'string') {
        let msg: unknown;
        try {
          msg = JSON.parse(ev.data);
        } catch {
          return;
        }
        if (msg && typeof msg === 'object' && typeof (msg as { type?: unknown }).type === 'string') {
          const m = msg as { type: string; code?: unknown };
          if (m.type === 'error' && typeof m.code === 'string') this.lastErrorCode = m.code;
          this.handlers.onMessage(msg as { type: string } & Record<string, unknown>);
        }
      } else if (ev.data instanceof ArrayBuffer) {
        this.handlers.onBinary?.(new Uint8Array(ev.data));
      }
    };
    ws.onclose = (ev: CloseEvent) => {
      this.detach(ws);
      const errorCode = this.lastErrorCode;
      const refusal = refusalForClose(this.role, ev.code, errorCode);
      const close: CloseInfo = { code: ev.code, reason: ev.reason, errorCode, refusal };
      if (refusal.action !== 'retry') {
        this.stopped = true;
        this.handlers.onStatus('closed', close);
        return;
      }
      this.scheduleReconnect(close);
    };
  }

  private detach(ws: WebSocket): void {
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    if (this.ws === ws) this.ws = null;
  }

  private scheduleReconnect(close: CloseInfo): void {
    if (this.stopped) return;
    const refusal = close.refusal ?? refusalForClose(this.role, close.code);
    const delay = refusal.delayMs(this.attempt++);
    this.handlers.onStatus('reconnecting', { ...close, refusal, retryInMs: delay });
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.open();
    }, delay);
  }
}
