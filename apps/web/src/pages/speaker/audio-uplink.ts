/**
 * The speaker's connection: hello with the token, audio frames numbered by seq, and the resend of
 * unacknowledged frames after a reconnect (see UnackedFrames for what a long outage loses).
 */
import {
  ErrorCode,
  encodeSpeakerAudioFrame,
  PROTOCOL_VERSION,
  SPEAKER_SAMPLE_RATE,
  type SpeakerClientMessage,
  type SpeakerServerMessage,
} from '@babelcast/protocol';
import { wsUrl } from '../shared/api.ts';
import { type CloseInfo, ReconnectingSocket, type SocketStatus } from '../shared/reconnecting-socket.ts';
import { UnackedFrames } from '../shared/unacked-frames.ts';

/**
 * Acks normally follow each frame within milliseconds. A connection that has taken frames without
 * acknowledging any for this long is dead even if the browser has not noticed (a phone changing
 * networks can leave a socket "open" for minutes), so it is dropped and redialled.
 */
const ACK_TIMEOUT_MS = 6000;

export interface UplinkHandlers {
  onStatus(status: SocketStatus, close?: CloseInfo): void;
  onMessage(msg: SpeakerServerMessage): void;
}

export interface UplinkStats {
  status: SocketStatus;
  nextSeq: number;
  lastAck: number | null;
  unackedFrames: number;
  unackedMs: number;
  droppedMs: number;
  reconnects: number;
  resentFrames: number;
  /** True after the server refused audio because the session is paused, until `resume`. */
  refusedPaused: boolean;
  /** Frames dropped, not resent, because the server refused them while paused. */
  discardedPausedFrames: number;
}

export class AudioUplink {
  private readonly socket: ReconnectingSocket;
  private readonly unacked = new UnackedFrames();
  /** Seq of the next frame; fixed from the server's lastSeq at the first `ready`. */
  private nextSeq = 0;
  private ready = false;
  private everReady = false;
  private lastAck: number | null = null;
  private lastProgressAt = 0;
  private status: SocketStatus = 'connecting';
  private resentFrames = 0;
  private refusedPaused = false;
  private discardedPausedFrames = 0;
  private readonly watchdog: ReturnType<typeof setInterval>;

  constructor(
    sessionId: string,
    private readonly token: string,
    private readonly handlers: UplinkHandlers,
  ) {
    this.socket = new ReconnectingSocket(
      () => wsUrl(`/ws/speaker?session=${encodeURIComponent(sessionId)}`),
      {
        onOpen: () => {
          this.ready = false;
          this.sendControl({ type: 'hello', protocol: PROTOCOL_VERSION, token: this.token });
        },
        onMessage: (msg) => this.receive(msg as unknown as SpeakerServerMessage),
        onStatus: (status, close) => {
          if (status === 'open') this.refusedPaused = false;
          this.status = status;
          if (status !== 'open') this.ready = false;
          this.handlers.onStatus(status, close);
        },
      },
      'speaker',
    );
    this.watchdog = setInterval(() => this.checkAcks(), 1000);
  }

  start(): void {
    this.socket.start();
  }

  /** Resolves once the server has accepted the hello (the first time). */
  get isReady(): boolean {
    return this.ready;
  }

  /** Queue one frame of 16 kHz PCM16; it is sent now if connected, else after reconnecting. */
  sendAudio(samples: Int16Array, captureTimeMs: number): void {
    // Paused: the server would refuse it, and it must not be replayed on resume either.
    if (!this.everReady || this.refusedPaused) return;
    const seq = this.nextSeq++;
    const bytes = encodeSpeakerAudioFrame({ seq, captureTimeMs, samples });
    const wasEmpty = this.unacked.size === 0;
    this.unacked.push({ seq, bytes, durationMs: (samples.length * 1000) / SPEAKER_SAMPLE_RATE });
    if (wasEmpty) this.lastProgressAt = Date.now();
    if (this.ready) this.socket.send(bytes);
  }

  sendControl(msg: SpeakerClientMessage): boolean {
    if (msg.type !== 'hello' && !this.ready) return false;
    const sent = this.socket.sendJson(msg);
    if (sent && msg.type === 'resume') this.refusedPaused = false;
    return sent;
  }

  stats(): UplinkStats {
    return {
      status: this.status,
      nextSeq: this.nextSeq,
      lastAck: this.lastAck,
      unackedFrames: this.unacked.size,
      unackedMs: this.unacked.durationMs,
      droppedMs: this.unacked.droppedMs,
      reconnects: this.socket.reconnects,
      resentFrames: this.resentFrames,
      refusedPaused: this.refusedPaused,
      discardedPausedFrames: this.discardedPausedFrames,
    };
  }

  /** Drop the connection as a network failure would (test hook); resend must recover everything. */
  dropConnection(): void {
    this.ready = false;
    this.socket.recycle();
  }

  close(): void {
    clearInterval(this.watchdog);
    this.socket.stop();
  }

  private receive(msg: SpeakerServerMessage): void {
    if (msg.type === 'ready') {
      if (!this.everReady) {
        // A reloaded page continues the session's numbering instead of colliding with it.
        this.nextSeq = msg.lastSeq === null ? 0 : msg.lastSeq + 1;
        this.everReady = true;
      }
      this.onAck(msg.lastSeq);
      const resend = this.unacked.after(msg.lastSeq);
      for (const f of resend) this.socket.send(f.bytes);
      this.resentFrames += resend.length;
      this.ready = true;
      this.lastProgressAt = Date.now();
      this.socket.markHealthy();
    } else if (msg.type === 'ack') {
      this.onAck(msg.seq);
    } else if (msg.type === 'error' && msg.code === ErrorCode.SESSION_PAUSED) {
      this.onPausedRefusal();
    } else if (msg.type === 'state' && msg.state === 'live') {
      this.refusedPaused = false;
    }
    this.handlers.onMessage(msg);
  }

  /**
   * The session is paused: the frame was refused, not acknowledged, and so is every one after it
   * until resume. Drop the backlog instead of resending it (the watchdog would otherwise redial
   * and replay it, and on resume listeners would hear stale speech), and number the next frame
   * right after the last acknowledged one so the server records no gap.
   */
  private onPausedRefusal(): void {
    this.refusedPaused = true;
    this.discardedPausedFrames += this.unacked.clear();
    this.nextSeq = this.lastAck === null ? 0 : this.lastAck + 1;
  }

  private onAck(seq: number | null): void {
    if (seq === null) return;
    if (this.lastAck === null || seq > this.lastAck) this.lastAck = seq;
    this.unacked.ack(seq);
    this.lastProgressAt = Date.now();
  }

  private checkAcks(): void {
    if (!this.ready || this.unacked.size === 0) return;
    if (Date.now() - this.lastProgressAt > ACK_TIMEOUT_MS) {
      this.ready = false;
      this.socket.recycle();
    }
  }
}
