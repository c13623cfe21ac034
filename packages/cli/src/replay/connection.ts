/**
 * One WebSocket to the server (speaker or listener) as the replay client sees it: messages are
 * handed to a callback with their arrival time, and `opened`/`closed` say how the server
 * answered. A refusal (close before `ready`/`welcome`) becomes a ReplayRefusedError carrying the
 * close code, its documented meaning and the server's reason.
 */
import { within } from '@babelcast/core';
import { CLOSE_CODE_MEANING, type CloseCode } from '@babelcast/protocol';
import WebSocket from 'ws';

export class ReplayRefusedError extends Error {
  constructor(
    readonly role: string,
    readonly code: number,
    readonly reason: string,
  ) {
    const meaning = CLOSE_CODE_MEANING[code as CloseCode] ?? 'unknown close code';
    super(`the server refused the ${role}: close code ${code} (${meaning})${reason ? `: ${reason}` : ''}`);
    this.name = 'ReplayRefusedError';
  }
}

export interface Incoming {
  at: number;
  json?: Record<string, unknown> & { type: string };
  binary?: Uint8Array;
}

export class ReplayConnection {
  readonly ws: WebSocket;
  closed: { code: number; reason: string } | null = null;
  private readonly closedPromise: Promise<{ code: number; reason: string }>;

  constructor(
    readonly role: string,
    url: string,
    private readonly clock: () => number,
    onMessage: (m: Incoming) => void,
  ) {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      const at = this.clock();
      if (isBinary) onMessage({ at, binary: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
      else onMessage({ at, json: JSON.parse(data.toString('utf8')) });
    });
    this.closedPromise = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => {
        this.closed = { code, reason: reason.toString() };
        resolve(this.closed);
      });
    });
    // Errors (refused upgrade, reset) always end in 'close'; the close code carries the story.
    this.ws.on('error', () => {});
  }

  /** Resolves when `accepted()` turns true; rejects with ReplayRefusedError if the socket closes first. */
  async until(accepted: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!accepted()) {
      if (this.closed) throw new ReplayRefusedError(this.role, this.closed.code, this.closed.reason);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await Promise.race([new Promise((r) => setTimeout(r, 10)), this.closedPromise]);
    }
  }

  send(data: string | Uint8Array): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(data);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    else this.ws.close(1000, 'replay done');
    // within() clears its timer: one that outlived the run would keep a finished benchmark alive.
    await within(this.closedPromise, 2000);
    if (!this.closed) this.ws.terminate();
  }
}
