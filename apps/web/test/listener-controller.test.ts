import {
  CloseCode,
  encodeListenerAudioPacket,
  ErrorCode,
  type ListenerAudioPacket,
  type PublicSessionInfo,
} from '@babelcast/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dictionaryFor } from '../src/pages/shared/i18n.ts';
import type { ReconnectingSocketHandlers, SocketStatus } from '../src/pages/shared/reconnecting-socket.ts';
import { refusalForClose } from '../src/pages/shared/refusals.ts';
import { ListenerController, VOICE_NOTICE_MS } from '../src/pages/listener/controller.ts';

const es = dictionaryFor('es').t;
const de = dictionaryFor('de').t;

const SESSION = {
  id: 'brave-otter-100-200-300',
  title: 'Talk',
  sourceLanguage: 'en',
  targetLanguages: ['es', 'fr'],
  state: 'live',
} as unknown as PublicSessionInfo;

class FakeSocket {
  sent: Record<string, unknown>[] = [];
  paths: string[] = [];
  starts = 0;
  stopped = false;
  reconnects = 0;
  healthy = 0;
  constructor(
    readonly path: () => string,
    readonly handlers: ReconnectingSocketHandlers,
  ) {}
  start(): void {
    this.starts++;
    this.paths.push(this.path());
    this.handlers.onStatus('connecting');
  }
  stop(): void {
    this.stopped = true;
    this.handlers.onStatus('closed');
  }
  sendJson(msg: object): boolean {
    this.sent.push(msg as Record<string, unknown>);
    return true;
  }
  markHealthy(): void {
    this.healthy++;
  }
  open(): void {
    this.handlers.onStatus('open');
    this.handlers.onOpen();
  }
  receive(msg: Record<string, unknown>): void {
    this.handlers.onMessage(msg as { type: string });
  }
  status(status: SocketStatus, code?: number): void {
    const close =
      code === undefined ? undefined : { code, reason: '', refusal: refusalForClose('listener', code) };
    this.handlers.onStatus(status, close);
  }
}

function packet(seq: number, language: string): Uint8Array {
  const p: ListenerAudioPacket = {
    seq,
    segmentId: 1,
    packetIndex: 0,
    offsetMs: 0,
    mediaStartMs: 0,
    mediaEndMs: 200,
    sampleRate: 48000,
    frameDurationMs: 20,
    flags: 0,
    language,
    frames: [new Uint8Array([1, 2, 3])],
  };
  return encodeListenerAudioPacket(p);
}

const VOICES = { es: ['pico:es-ES', 'espeak-ng'], fr: ['espeak-ng'], en: ['flite', 'espeak-ng'] };

function setup(
  language = 'es',
  offeredNow: string[] = ['es', 'fr'],
  voices?: { catalogue: Record<string, string[]>; remembered: Record<string, string> },
) {
  let socket!: FakeSocket;
  const player = { unlocked: false, pushed: [] as number[], resets: 0 };
  const remembered: string[] = [];
  const seen = { changes: 0, captions: [] as { committed: string; replayed: boolean }[], switches: 0 };
  const controller = new ListenerController(
    SESSION,
    language,
    {
      openSocket: (path, handlers) => {
        socket = new FakeSocket(path, handlers);
        return socket;
      },
      player: {
        get unlocked() {
          return player.unlocked;
        },
        push: (p) => void player.pushed.push(p.seq),
        reset: () => void player.resets++,
      },
      api: (async () => ({ ...SESSION, targetLanguages: offeredNow })) as never,
      rememberLanguage: (code) => void remembered.push(code),
      ...(voices && {
        voices: voices.catalogue,
        voicePreference: {
          get: (lang: string) => voices.remembered[lang] ?? null,
          set: (lang: string, voice: string) => {
            voices.remembered[lang] = voice;
          },
        },
      }),
    },
    {
      changed: () => void seen.changes++,
      caption: (c, replayed) => void seen.captions.push({ committed: c.committed, replayed }),
      languageChanged: () => void seen.switches++,
    },
  );
  controller.start();
  return { controller, socket, player, remembered, seen };
}

const welcome = (targetLanguage: string, voice?: string) => ({
  type: 'welcome',
  session: SESSION,
  targetLanguage,
  ...(voice && { voice }),
  authenticated: false,
  seq: 0,
  audio: { codec: 'opus', sampleRate: 48000, frameDurationMs: 20 },
});

describe('ListenerController', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('says hello, shows the session as live in the reader’s language and resumes after the last seq', () => {
    const { controller, socket } = setup();
    expect(controller.liveStatus()).toEqual({ text: es.connecting, on: false });
    socket.open();
    expect(socket.sent[0]).toMatchObject({ type: 'hello' });
    socket.receive(welcome('es'));
    expect(controller.liveStatus()).toEqual({ text: es.live, on: true });
    expect(socket.healthy).toBe(1);
    socket.receive({
      type: 'caption',
      kind: 'translation',
      seq: 7,
      segmentId: 1,
      lang: 'es',
      text: 'Hola.',
      mediaStartMs: 0,
      mediaEndMs: 900,
    });
    expect(controller.model.lines().map((l) => l.text)).toEqual(['Hola.']);
    socket.status('reconnecting', 1006);
    expect(controller.liveStatus().text).toBe(es.reconnecting);
    socket.start();
    expect(new URLSearchParams(socket.paths.at(-1)!.split('?')[1]).get('since')).toBe('7');
  });

  it('does not announce replayed captions again', () => {
    const { socket, seen } = setup();
    socket.open();
    socket.receive({
      type: 'caption',
      kind: 'translation',
      seq: 3,
      segmentId: 1,
      lang: 'es',
      text: 'Ya dicho.',
      mediaStartMs: 0,
      mediaEndMs: 900,
      replay: true,
    });
    expect(seen.captions).toEqual([{ committed: 'Ya dicho.', replayed: true }]);
  });

  it('plays only packets of the current language', () => {
    const { controller, socket, player } = setup();
    socket.open();
    socket.handlers.onBinary!(packet(4, 'es'));
    socket.handlers.onBinary!(packet(5, 'fr'));
    socket.handlers.onBinary!(new Uint8Array([1, 2]));
    expect(player.pushed).toEqual([4]);
    expect(controller.lastSeq).toBe(5);
  });

  it('switches language: tells the server, forgets the old voice and remembers the choice', () => {
    const { controller, socket, player, remembered, seen } = setup();
    socket.open();
    socket.receive(welcome('es'));
    controller.setLanguage('fr', true);
    expect(socket.sent.at(-1)).toEqual({ type: 'setLanguage', targetLanguage: 'fr' });
    expect(controller.t.language).toBe(dictionaryFor('fr').t.language);
    expect(player.resets).toBe(1);
    expect(remembered).toEqual(['fr']);
    expect(seen.switches).toBe(1);
  });

  it.each([
    [
      'goes back to the confirmed language when a switch is refused',
      ErrorCode.LANGUAGE_NOT_OFFERED,
      'es',
      es.unsupportedLanguage,
    ],
    [
      'keeps the new language when only rate-limited',
      ErrorCode.RATE_LIMITED,
      'fr',
      dictionaryFor('fr').t.rateLimited,
    ],
    [
      'goes back to the confirmed language when the node is full',
      ErrorCode.OVER_CAPACITY,
      'es',
      es.overCapacity,
    ],
  ])('%s, and says why', (_name, code, language, notice) => {
    const { controller, socket } = setup();
    socket.open();
    socket.receive(welcome('es'));
    controller.setLanguage('fr', true);
    socket.receive({ type: 'error', code, message: 'refused' });
    expect(controller.language).toBe(language);
    expect(controller.notice).toBe(notice);
  });

  it('after a refused language lists what the session offers now, and connects with the next pick', async () => {
    const { controller, socket } = setup('de', ['es', 'fr', 'pt']);
    socket.status('closed', CloseCode.UNSUPPORTED_LANGUAGE);
    expect(controller.notice).toBe(de.unsupportedLanguage);
    expect(controller.liveStatus().text).toBe(de.connectionLost);
    await vi.runAllTimersAsync();
    expect(controller.choices).toEqual({ codes: ['es', 'fr', 'pt'], placeholder: true });
    controller.setLanguage('pt', true);
    expect(socket.starts).toBe(2);
    expect(socket.paths.at(-1)).toContain('targetLanguage=pt');
    expect(controller.notice).toBe('');
    expect(controller.choices.placeholder).toBe(false);
  });

  it('says a full server is full while it waits to retry', () => {
    const { controller, socket } = setup();
    socket.status('reconnecting', CloseCode.OVER_CAPACITY);
    expect(controller.notice).toBe(es.overCapacity);
  });

  it('shows the voice-skipped notice only to someone listening, and only for a while', async () => {
    const { controller, socket, player } = setup();
    socket.open();
    const skipped = { type: 'notice', code: ErrorCode.VOICE_SKIPPED, message: 'skipped', lang: 'es' };
    socket.receive(skipped);
    expect(controller.voiceSkipped).toBe(false);
    player.unlocked = true;
    socket.receive({ ...skipped, lang: 'fr' });
    expect(controller.voiceSkipped).toBe(false);
    socket.receive(skipped);
    expect(controller.voiceSkipped).toBe(true);
    await vi.advanceTimersByTimeAsync(VOICE_NOTICE_MS);
    expect(controller.voiceSkipped).toBe(false);
  });

  it('stops reconnecting once the session has ended', () => {
    const { controller, socket } = setup();
    socket.open();
    socket.receive(welcome('es'));
    socket.receive({ type: 'state', state: 'ended' });
    expect(socket.stopped).toBe(true);
    expect(controller.liveStatus()).toEqual({ text: es.ended, on: false });
  });

  it('offers the reader’s own language even when the session does not list it', () => {
    const { controller } = setup('de');
    expect(controller.choices).toEqual({ codes: ['es', 'fr', 'de'], placeholder: false });
  });

  describe('voices', () => {
    it('offers a choice only where the language has several voices, never for the speaker’s own', () => {
      const { controller, socket } = setup('es', ['es', 'fr'], { catalogue: VOICES, remembered: {} });
      socket.open();
      socket.receive(welcome('es', 'pico:es-ES'));
      expect(controller.voiceChoices()).toEqual(['pico:es-ES', 'espeak-ng']);
      expect(controller.voice).toBe('pico:es-ES');
      controller.setLanguage('fr', true);
      expect(controller.voiceChoices()).toEqual([]);
      controller.setLanguage('en', true);
      expect(controller.voiceChoices()).toEqual([]);
      // Without a catalogue (an older server), no choice at all.
      expect(setup('es').controller.voiceChoices()).toEqual([]);
    });

    it('switches voice: tells the server, keeps the captions, drops the old voice until confirmed', () => {
      const remembered: Record<string, string> = {};
      const { controller, socket, player, seen } = setup('es', ['es', 'fr'], {
        catalogue: VOICES,
        remembered,
      });
      socket.open();
      socket.receive(welcome('es', 'pico:es-ES'));
      socket.receive({
        type: 'caption',
        kind: 'translation',
        seq: 1,
        segmentId: 1,
        lang: 'es',
        text: 'hola',
        mediaStartMs: 0,
        mediaEndMs: 1,
        emittedAt: 0,
      });
      socket.handlers.onBinary!(packet(2, 'es'));
      controller.setVoice('espeak-ng');
      expect(socket.sent.at(-1)).toEqual({ type: 'setLanguage', targetLanguage: 'es', voice: 'espeak-ng' });
      expect(remembered).toEqual({ es: 'espeak-ng' });
      expect(player.resets).toBe(1);
      // In flight before the server switched: the old voice, not played.
      socket.handlers.onBinary!(packet(3, 'es'));
      socket.receive({ type: 'languageChanged', targetLanguage: 'es', voice: 'espeak-ng' });
      socket.handlers.onBinary!(packet(4, 'es'));
      expect(player.pushed).toEqual([2, 4]);
      expect(controller.voice).toBe('espeak-ng');
      // The language did not change: no redraw of every line, the caption is still there.
      expect(seen.switches).toBe(0);
      expect(controller.model.lines().map((l) => l.text)).toEqual(['hola']);
      // A reconnect asks for the chosen voice at once.
      socket.start();
      expect(new URLSearchParams(socket.paths.at(-1)!.split('?')[1]).get('voice')).toBe('espeak-ng');
    });

    it('asks for the remembered voice on joining and on switching to its language', () => {
      const { controller, socket } = setup('fr', ['es', 'fr'], {
        catalogue: VOICES,
        remembered: { es: 'espeak-ng' },
      });
      expect(new URLSearchParams(socket.paths.at(-1)!.split('?')[1]).get('voice')).toBeNull();
      socket.open();
      socket.receive(welcome('fr', 'espeak-ng'));
      controller.setLanguage('es', true);
      expect(socket.sent.at(-1)).toEqual({ type: 'setLanguage', targetLanguage: 'es', voice: 'espeak-ng' });
    });

    it('goes back to the confirmed voice when the server refuses one, and says why', () => {
      const { controller, socket, player } = setup('es', ['es', 'fr'], { catalogue: VOICES, remembered: {} });
      socket.open();
      socket.receive(welcome('es', 'pico:es-ES'));
      controller.setVoice('espeak-ng');
      socket.receive({ type: 'error', code: ErrorCode.UNSUPPORTED_VOICE, message: 'no such voice' });
      expect(controller.voice).toBe('pico:es-ES');
      expect(controller.language).toBe('es');
      expect(controller.notice).toBe(es.unsupportedVoice);
      // The old voice plays again: nothing is waiting for a confirmation.
      socket.handlers.onBinary!(packet(9, 'es'));
      expect(player.pushed).toEqual([9]);
    });
  });
});
