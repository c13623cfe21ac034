/**
 * What the speaker page does, without its DOM: the uplink (connect on Start, the server's
 * messages), the microphone (frames to the meter and the uplink), the controls (over the socket,
 * or over HTTP while it is down) and what the page should show about all of it. The views read
 * its state when it says something changed; tests drive it with a fake uplink and microphone.
 */
import {
  type CaptionEvent,
  ErrorCode,
  type SessionInfo,
  type SpeakerClientMessage,
  type SpeakerServerMessage,
} from '@babelcast/protocol';
import type { api } from '../shared/api.ts';
import { CaptionModel, type LineChange } from '../shared/caption-model.ts';
import type { Dictionary } from '../shared/i18n.ts';
import { InputMeter, type InputWarning, inputWarnings } from '../shared/input-stats.ts';
import { type CloseInfo, describeClose, type SocketStatus } from '../shared/reconnecting-socket.ts';
import type { UplinkHandlers, UplinkStats } from './audio-uplink.ts';
import type { CaptureFrameMessage } from './capture-worklet.ts';
import { errorText } from './text.ts';

/** How much audio the uplink keeps for resending (UnackedFrames' limit), as the alert says it. */
const UNACKED_LIMIT_S = 60;
/** The meter's floor: quieter than this reads as silence. */
export const METER_FLOOR_DBFS = -60;

/** The parts of AudioUplink the controller uses. */
export interface SpeakerUplink {
  start(): void;
  sendAudio(samples: Int16Array, captureTimeMs: number): void;
  sendControl(msg: SpeakerClientMessage): boolean;
  stats(): UplinkStats;
  dropConnection(): void;
  close(): void;
}

/** The parts of Microphone the controller uses. */
export interface SpeakerMicrophone {
  readonly deviceId: string | undefined;
  close(): Promise<void>;
}

export type FrameHandler = (frame: CaptureFrameMessage, captureTimeMs: number) => void;

export interface SpeakerDeps {
  openUplink(sessionId: string, token: string, handlers: UplinkHandlers): SpeakerUplink;
  openMicrophone(deviceId: string | null, onFrame: FrameHandler): Promise<SpeakerMicrophone>;
  /** The HTTP API: controls go this way while the socket is down, so End works mid-outage. */
  api: typeof api;
  /** The refusal messages, in the page's language. */
  labels: Dictionary;
}

/** What the controller tells the page. */
export interface SpeakerEvents {
  /** Session state, connection, alert, controls or listener figures changed. */
  changed(): void;
  /** A line of the transcript changed (the speaker reads the recogniser's own words). */
  caption(change: LineChange): void;
  /** The level of the newest microphone frame, dBFS (METER_FLOOR_DBFS..0). */
  level(dbfs: number): void;
  /** Once a second while capturing: what is wrong with the input, if anything. */
  warnings(found: InputWarning[]): void;
}

export interface ListenerRow {
  code: string;
  count: number;
  /** How far this language's captions / voice are behind the speaker, ms; undefined until known. */
  textLagMs?: number;
  voiceLagMs?: number;
}

export type ControlAction = 'pause' | 'resume' | 'end';

export class SpeakerController {
  session: SessionInfo;
  paused: boolean;
  /** The one message the page shows in its alert line; '' for none. */
  alert = '';
  connection: { status: SocketStatus; text: string } | null = null;
  /** Start was pressed and the microphone or connection is not there yet. */
  starting = false;
  framesCaptured = 0;
  /** What the recogniser heard: the source language, finals committed, partials as drafts. */
  readonly transcript: CaptionModel;
  private uplink: SpeakerUplink | null = null;
  private mic: SpeakerMicrophone | null = null;
  private readonly meter = new InputMeter();
  private statsTimer: ReturnType<typeof setInterval> | null = null;
  private counts: Record<string, number>;
  /** Merged from `lag` messages, which carry only the languages whose lag changed. */
  private readonly textLag: Record<string, number> = {};
  private readonly voiceLag: Record<string, number> = {};

  constructor(
    private readonly token: string,
    initial: SessionInfo,
    private readonly deps: SpeakerDeps,
    private readonly events: SpeakerEvents,
  ) {
    this.session = initial;
    this.paused = initial.state === 'paused';
    this.counts = initial.listeners;
    this.transcript = new CaptionModel(initial.sourceLanguage, initial.sourceLanguage);
    if (initial.state === 'ended') this.alert = 'This session has ended.';
  }

  get capturing(): boolean {
    return this.mic !== null;
  }

  get microphoneId(): string | undefined {
    return this.mic?.deviceId;
  }

  /** Closing the tab now would silently stop the broadcast. */
  get broadcasting(): boolean {
    return this.mic !== null && this.session.state === 'live';
  }

  /** One row per offered language and per language anyone listens to or has a lag for. */
  listenerRows(): ListenerRow[] {
    const codes = new Set([
      ...this.session.targetLanguages,
      ...Object.keys(this.counts),
      ...Object.keys(this.textLag),
      ...Object.keys(this.voiceLag),
    ]);
    return [...codes].map((code) => ({
      code,
      count: this.counts[code] ?? 0,
      textLagMs: this.textLag[code],
      voiceLagMs: this.voiceLag[code],
    }));
  }

  get totalListeners(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }

  /** Connect if need be, open the microphone (`deviceId` null: the default) and broadcast. */
  async start(deviceId: string | null): Promise<void> {
    this.alert = '';
    this.starting = true;
    this.events.changed();
    try {
      if (!this.uplink) await this.connect();
      this.mic = await this.deps.openMicrophone(deviceId, (frame, t) => this.onFrame(frame, t));
      this.statsTimer = setInterval(() => this.reportInput(), 1000);
      if (this.paused) this.uplink?.sendControl({ type: 'resume' });
      this.paused = false;
    } catch (err) {
      this.alert = errorText(err, this.deps.labels);
    } finally {
      this.starting = false;
      this.events.changed();
    }
  }

  /** Close the microphone; the connection stays (audio already sent may still be resent). */
  async stop(): Promise<void> {
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = null;
    const m = this.mic;
    this.mic = null;
    await m?.close();
    this.events.changed();
  }

  async control(action: ControlAction): Promise<void> {
    if (!this.uplink?.sendControl({ type: action })) {
      try {
        const info = await this.deps.api<SessionInfo>(`/api/sessions/${this.session.id}/${action}`, {
          method: 'POST',
          token: this.token,
        });
        if (info?.state) this.session = { ...this.session, state: info.state };
      } catch (err) {
        this.alert = errorText(err, this.deps.labels);
      }
    }
    if (action === 'pause') this.paused = true;
    if (action === 'resume') this.paused = false;
    if (action === 'end') {
      this.session = { ...this.session, state: 'ended' };
      await this.stop();
      this.uplink?.close();
    }
    this.events.changed();
  }

  /** For the browser tests (window.__babelcast.speaker). */
  stats(): Partial<UplinkStats> & { framesCaptured: number; sessionId: string; state: string } {
    const { framesCaptured, session } = this;
    return { ...this.uplink?.stats(), framesCaptured, sessionId: session.id, state: session.state };
  }

  /** Drop the socket as a network failure would; the page must recover by itself. */
  dropConnection(): void {
    this.uplink?.dropConnection();
  }

  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const uplink = this.deps.openUplink(this.session.id, this.token, {
        onStatus: (status, close) => {
          this.onStatus(status, close);
          if (status === 'closed' && close) reject(new Error(describeClose(close)));
        },
        onMessage: (msg) => {
          this.onMessage(msg);
          if (msg.type === 'ready') resolve();
        },
      });
      this.uplink = uplink;
      uplink.start();
    });
  }

  private onStatus(status: SocketStatus, close?: CloseInfo): void {
    const s = this.uplink?.stats();
    this.connection = { status, text: connectionText(status, s) };
    if (s && s.droppedMs > 0) {
      this.alert = `${(s.droppedMs / 1000).toFixed(0)} s of audio could not be delivered during the outage (more than the ${UNACKED_LIMIT_S} s the page keeps).`;
    }
    const refusal = close?.refusal?.message;
    if (status === 'reconnecting' && refusal) {
      // A full or rate-limiting server: the page tries again by itself, slowly.
      const wait = close?.retryInMs ? ` (${Math.ceil(close.retryInMs / 1000)} s)` : '';
      this.alert = `${this.deps.labels[refusal]}${wait}`;
    }
    if (status === 'closed' && close) {
      this.alert = refusal
        ? this.deps.labels[refusal]
        : `The server closed the connection: ${describeClose(close)}.`;
      void this.stop();
    }
    this.events.changed();
  }

  private onMessage(msg: SpeakerServerMessage): void {
    switch (msg.type) {
      case 'ready':
        this.session = msg.session;
        this.counts = msg.session.listeners;
        this.paused = msg.session.state === 'paused';
        this.alert = '';
        break;
      case 'state':
        this.session = { ...this.session, state: msg.state };
        this.paused = msg.state === 'paused';
        if (msg.state === 'ended') void this.stop();
        break;
      case 'caption':
        this.onCaption(msg);
        break;
      case 'listeners':
        this.counts = msg.counts;
        break;
      case 'lag':
        Object.assign(this.textLag, msg.textMs);
        Object.assign(this.voiceLag, msg.voiceMs);
        break;
      case 'error':
        this.onError(msg.code, msg.message);
        break;
      case 'notice':
        this.alert = msg.message;
        break;
    }
    this.events.changed();
  }

  private onError(code: string, message: string): void {
    if (code === ErrorCode.SESSION_PAUSED) {
      // Audio was refused, not acknowledged: the uplink dropped its backlog; stop sending and
      // offer Resume.
      this.paused = true;
      this.session = { ...this.session, state: 'paused' };
      this.alert = 'The session is paused: your audio is not being broadcast. Press Resume to continue.';
    } else if (code === ErrorCode.OVER_CAPACITY) this.alert = this.deps.labels.overCapacity;
    else if (code === ErrorCode.RATE_LIMITED) this.alert = this.deps.labels.rateLimited;
    else this.alert = message;
  }

  private onCaption(ev: CaptionEvent): void {
    const change = this.transcript.apply(ev);
    if (change) this.events.caption(change);
  }

  private onFrame(frame: CaptureFrameMessage, captureTimeMs: number): void {
    this.framesCaptured++;
    const { samples, dbfs } = frameLevel(frame.pcm);
    this.meter.push(samples);
    this.meter.noteRaw(frame.peak, frame.clipped);
    this.events.level(dbfs);
    if (!this.paused) this.uplink?.sendAudio(frame.pcm, captureTimeMs);
  }

  private reportInput(): void {
    const levels = this.meter.take();
    this.events.warnings(inputWarnings(levels, this.meter.speechLevel()));
    this.uplink?.sendControl({ type: 'inputStats', ...levels });
  }
}

function connectionText(status: SocketStatus, s: UplinkStats | undefined): string {
  const waiting = s && s.unackedMs > 0 ? ` (${(s.unackedMs / 1000).toFixed(1)} s of audio waiting)` : '';
  if (status === 'open') return 'Connected';
  if (status === 'connecting') return 'Connecting…';
  if (status === 'reconnecting') return `Reconnecting…${waiting}`;
  return 'Disconnected';
}

/** A PCM16 frame as floats for the meter, and its RMS level for the bar. */
export function frameLevel(pcm: Int16Array): { samples: Float32Array; dbfs: number } {
  const samples = new Float32Array(pcm.length);
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) {
    samples[i] = pcm[i]! / 32768;
    sum += samples[i]! * samples[i]!;
  }
  const dbfs = Math.max(METER_FLOOR_DBFS, 20 * Math.log10(Math.sqrt(sum / pcm.length) || 1e-6));
  return { samples, dbfs };
}
