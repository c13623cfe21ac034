/**
 * A WebSocket that comes back by itself. Refusals the server means (bad session, ended, wrong
 * token: see CloseCode) stop it for good and are shown to the user; anything else (network drop,
 * server restart, a timeout) is retried with backoff.
 */
import { CLOSE_CODE_MEANING, CloseCode } from '@babelcast/protocol';
import { reconnectDelayMs } from './backoff.ts';

export type SocketStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface CloseInfo {
  code: number;
  reason: string;
}

export interface ReconnectingSocketHandlers {
  /** Called with each new socket once open: say hello here. */
  onOpen(): void;
  onMessage(msg: { type: string } & Record<string, unknown>): void;
  onBinary?(data: Uint8Array): void;
  onStatus(status: SocketStatus, close?: CloseInfo): void;
}

const FATAL = new Set<number>([
  CloseCode.BAD_REQUEST,
  CloseCode.UNAUTHORIZED,
  CloseCode.FORBIDDEN,
  CloseCode.SESSION_NOT_FOUND,
  CloseCode.REPLACED,
  CloseCode.SESSION_ENDED,
  CloseCode.UNSUPPORTED_PROTOCOL,
  CloseCode.UNSUPPORTED_LANGUAGE,
  CloseCode.UNSUPPORTED_PAIR,
]);

export function isFatalClose(code: number): boolean {
  return FATAL.has(code);
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

  constructor(
    private readonly url: () => string,
    private readonly handlers: ReconnectingSocketHandlers,
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
          this.handlers.onMessage(msg as { type: string } & Record<string, unknown>);
        }
      } else if (ev.data instanceof ArrayBuffer) {
        this.handlers.onBinary?.(new Uint8Array(ev.data));
      }
    };
    ws.onclose = (ev: CloseEvent) => {
      this.detach(ws);
      const close = { code: ev.code, reason: ev.reason };
      if (isFatalClose(ev.code)) {
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
    this.handlers.onStatus('reconnecting', close);
    const delay = reconnectDelayMs(this.attempt++);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.open();
    }, delay);
  }
}
