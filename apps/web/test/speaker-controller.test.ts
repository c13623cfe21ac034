import { CloseCode, ErrorCode, type SessionInfo, type SpeakerClientMessage } from '@babelcast/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/pages/shared/api.ts';
import type { LineChange } from '../src/pages/shared/caption-model.ts';
import { dictionaryFor } from '../src/pages/shared/i18n.ts';
import type { InputWarning } from '../src/pages/shared/input-stats.ts';
import { refusalForClose } from '../src/pages/shared/refusals.ts';
import type { UplinkHandlers, UplinkStats } from '../src/pages/speaker/audio-uplink.ts';
import {
  type FrameHandler,
  frameLevel,
  SpeakerController,
  type SpeakerUplink,
} from '../src/pages/speaker/controller.ts';

const labels = dictionaryFor('en').t;

const SESSION: SessionInfo = {
  id: 'brave-otter-100-200-300',
  title: 'Talk',
  sourceLanguage: 'en',
  targetLanguages: ['es', 'fr'],
  state: 'created',
  joinUrl: 'http://example.test/join/brave-otter-100-200-300',
  listeners: {},
  mode: 'simultaneous',
} as unknown as SessionInfo;

class FakeUplink implements SpeakerUplink {
  sent: SpeakerClientMessage[] = [];
  audio: number[] = [];
  connected = true;
  closed = false;
  statsValue: Partial<UplinkStats> = { unackedMs: 0, droppedMs: 0 };
  constructor(readonly handlers: UplinkHandlers) {}
  start(): void {
    this.handlers.onStatus('connecting');
  }
  sendAudio(_samples: Int16Array, captureTimeMs: number): void {
    this.audio.push(captureTimeMs);
  }
  sendControl(msg: SpeakerClientMessage): boolean {
    if (!this.connected) return false;
    this.sent.push(msg);
    return true;
  }
  stats(): UplinkStats {
    return this.statsValue as UplinkStats;
  }
  dropConnection(): void {}
  close(): void {
    this.closed = true;
  }
  ready(session: Partial<SessionInfo> = {}): void {
    this.handlers.onStatus('open');
    this.handlers.onMessage({ type: 'ready', session: { ...SESSION, ...session }, lastSeq: null } as never);
  }
}

function setup(options: { micError?: unknown; apiAnswer?: () => Promise<unknown> } = {}) {
  const uplinks: FakeUplink[] = [];
  const frames: FrameHandler[] = [];
  const mics: { closed: boolean }[] = [];
  const seen = {
    changes: 0,
    captions: [] as LineChange[],
    levels: [] as number[],
    warnings: [] as InputWarning[][],
  };
  const apiCalls: string[] = [];
  const controller = new SpeakerController(
    'token-1',
    SESSION,
    {
      openUplink: (_id, _token, handlers) => {
        const u = new FakeUplink(handlers);
        uplinks.push(u);
        queueMicrotask(() => u.ready());
        return u;
      },
      openMicrophone: async (_deviceId, onFrame) => {
        if (options.micError) throw options.micError;
        frames.push(onFrame);
        const mic = {
          closed: false,
          deviceId: 'mic-1',
          close: async () => {
            mic.closed = true;
          },
        };
        mics.push(mic);
        return mic;
      },
      api: (async (path: string) => {
        apiCalls.push(path);
        return options.apiAnswer ? options.apiAnswer() : { state: 'paused' };
      }) as never,
      labels,
    },
    {
      changed: () => void seen.changes++,
      caption: (c) => void seen.captions.push(c),
      level: (db) => void seen.levels.push(db),
      warnings: (w) => void seen.warnings.push(w),
    },
  );
  const frame = (amplitude: number, t = 0) =>
    frames.at(-1)!({ pcm: new Int16Array(3200).fill(amplitude), peak: amplitude / 32768, clipped: 0 }, t);
  return { controller, uplinks, frames, mics, seen, apiCalls, frame };
}

describe('SpeakerController', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('connects on Start, opens the microphone and sends its frames with their capture times', async () => {
    const { controller, uplinks, frame, seen } = setup();
    expect(controller.capturing).toBe(false);
    await controller.start(null);
    expect(uplinks).toHaveLength(1);
    expect(controller.capturing).toBe(true);
    expect(controller.connection).toEqual({ status: 'open', text: 'Connected' });
    frame(3277, 1000);
    frame(3277, 1200);
    expect(uplinks[0]!.audio).toEqual([1000, 1200]);
    // 0.1 of full scale is -20 dBFS on the meter.
    expect(Math.round(seen.levels.at(-1)!)).toBe(-20);
    expect(controller.stats()).toMatchObject({ framesCaptured: 2, sessionId: SESSION.id });
  });

  it('sends no audio while paused, and Resume on Start when the session was paused', async () => {
    const { controller, uplinks, frame } = setup();
    await controller.start(null);
    await controller.control('pause');
    expect(uplinks[0]!.sent).toContainEqual({ type: 'pause' });
    frame(1000);
    expect(uplinks[0]!.audio).toEqual([]);
    await controller.stop();
    expect(controller.capturing).toBe(false);
    await controller.start(null);
    expect(uplinks).toHaveLength(1);
    expect(uplinks[0]!.sent.at(-1)).toEqual({ type: 'resume' });
    frame(1000, 5);
    expect(uplinks[0]!.audio).toEqual([5]);
  });

  it('offers Resume and says why when the server refuses audio because the session is paused', async () => {
    const { controller, uplinks } = setup();
    await controller.start(null);
    uplinks[0]!.handlers.onMessage({ type: 'error', code: ErrorCode.SESSION_PAUSED, message: 'paused' });
    expect(controller.paused).toBe(true);
    expect(controller.session.state).toBe('paused');
    expect(controller.alert).toMatch(/Press Resume/);
  });

  it('ends over HTTP when the socket is down, and closes the microphone and the uplink', async () => {
    const { controller, uplinks, mics, apiCalls } = setup({ apiAnswer: async () => ({ state: 'ended' }) });
    await controller.start(null);
    uplinks[0]!.connected = false;
    await controller.control('end');
    expect(apiCalls).toEqual([`/api/sessions/${SESSION.id}/end`]);
    expect(controller.session.state).toBe('ended');
    expect(mics[0]!.closed).toBe(true);
    expect(uplinks[0]!.closed).toBe(true);
  });

  it('shows a failed control call as a refusal message', async () => {
    const { controller } = setup({
      apiAnswer: async () => {
        throw new ApiError(429, ErrorCode.RATE_LIMITED, 'slow down');
      },
    });
    await controller.control('pause');
    expect(controller.alert).toBe(labels.rateLimited);
  });

  it('explains a refused microphone and stays stopped', async () => {
    const { controller } = setup({ micError: new DOMException('denied', 'NotAllowedError') });
    await controller.start(null);
    expect(controller.capturing).toBe(false);
    expect(controller.starting).toBe(false);
    expect(controller.alert).toMatch(/Microphone permission was refused/);
  });

  it('lists every offered language with its listeners and lags', async () => {
    const { controller, uplinks } = setup();
    await controller.start(null);
    const h = uplinks[0]!.handlers;
    h.onMessage({ type: 'listeners', counts: { es: 2, de: 1 } } as never);
    h.onMessage({ type: 'lag', textMs: { es: 1500 }, voiceMs: {} } as never);
    h.onMessage({ type: 'lag', textMs: {}, voiceMs: { es: 3000 } } as never);
    expect(controller.listenerRows()).toEqual([
      { code: 'es', count: 2, textLagMs: 1500, voiceLagMs: 3000 },
      { code: 'fr', count: 0, textLagMs: undefined, voiceLagMs: undefined },
      { code: 'de', count: 1, textLagMs: undefined, voiceLagMs: undefined },
    ]);
    expect(controller.totalListeners).toBe(3);
  });

  it('keeps the transcript in the shared caption model: partial, then its final', async () => {
    const { controller, uplinks, seen } = setup();
    await controller.start(null);
    const caption = (seq: number, kind: string, text: string) =>
      uplinks[0]!.handlers.onMessage({
        type: 'caption',
        seq,
        segmentId: 1,
        kind,
        lang: 'en',
        text,
        mediaStartMs: 0,
        mediaEndMs: 1000,
      } as never);
    caption(1, 'partial', 'hello wor');
    expect(controller.transcript.line(1)).toMatchObject({ committed: '', tail: 'hello wor' });
    caption(2, 'final', 'Hello world.');
    expect(controller.transcript.line(1)).toMatchObject({ committed: 'Hello world.', tail: '' });
    expect(seen.captions.map((c) => c.committed)).toEqual(['', 'Hello world.']);
  });

  it('says how much audio waits during an outage and why a closed connection stopped capture', async () => {
    const { controller, uplinks, mics } = setup();
    await controller.start(null);
    const u = uplinks[0]!;
    u.statsValue = { unackedMs: 2400, droppedMs: 0 };
    u.handlers.onStatus('reconnecting', { code: 1006, reason: '' });
    expect(controller.connection?.text).toBe('Reconnecting… (2.4 s of audio waiting)');
    u.handlers.onStatus('reconnecting', {
      code: CloseCode.OVER_CAPACITY,
      reason: '',
      refusal: refusalForClose('speaker', CloseCode.OVER_CAPACITY),
      retryInMs: 20_500,
    });
    expect(controller.alert).toBe(`${labels.overCapacity} (21 s)`);
    u.handlers.onStatus('closed', { code: 4403, reason: 'not your session' });
    expect(controller.alert).toBe('The server closed the connection: not your session.');
    await vi.runAllTimersAsync();
    expect(mics[0]!.closed).toBe(true);
    expect(controller.capturing).toBe(false);
  });

  it('reports input levels once a second and warns about clipping', async () => {
    const { controller, uplinks, frames, seen } = setup();
    await controller.start(null);
    frames[0]!({ pcm: new Int16Array(3200).fill(32767), peak: 1, clipped: 3200 }, 0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen.warnings.at(-1)).toContain('clipping');
    expect(uplinks[0]!.sent.find((m) => m.type === 'inputStats')).toMatchObject({ clipping: true });
  });

  it('says so when the session has already ended', () => {
    const ended = new SpeakerController('t', { ...SESSION, state: 'ended' }, {} as never, {} as never);
    expect(ended.alert).toBe('This session has ended.');
  });
});

describe('frameLevel', () => {
  it('reads silence as the meter floor', () => {
    expect(frameLevel(new Int16Array(320)).dbfs).toBe(-60);
  });
});
