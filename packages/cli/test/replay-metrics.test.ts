/**
 * The lag, drift, erasure and from-the-last-word definitions (src/replay/metrics.ts), each pinned
 * on a small synthetic event sequence whose answer was computed by hand (in the comments). The
 * clock is the identity: a moment at media position m was "sent" at time m.
 */
import { describe, expect, it } from 'vitest';
import {
  driftMs,
  energySpeechBounds,
  fromLastWord,
  languageLag,
  type MetricEvent,
  type Moment,
  normalizedErasure,
  playVoice,
  silenceSpeechBounds,
  speechMoments,
  speechSegments,
  textShownAt,
  voiceHeardAt,
} from '../src/replay/metrics.ts';
import { isComplete, type ReplayEvent, summarize } from '../src/replay/index.ts';

const sent = (ms: number) => ms;

type Ev = Partial<MetricEvent> & Pick<MetricEvent, 'type' | 'receivedMs'>;
const ev = (e: Ev): MetricEvent => ({
  lang: e.type === 'partial' || e.type === 'final' ? 'en' : 'es',
  segment: 1,
  mediaStartMs: 0,
  mediaEndMs: 0,
  ...e,
});
const audio = (
  receivedMs: number,
  durationMs: number,
  mediaStartMs: number,
  mediaEndMs: number,
  extra = {},
) => ev({ type: 'audio', receivedMs, durationMs, mediaStartMs, mediaEndMs, ...extra });
const range = (from: number, to: number, step = 100) =>
  Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);
const momentsOf = (ats: number[], segment = 1): Moment[] => ats.map((atMs) => ({ atMs, segment }));

describe('moments of speech', () => {
  it('are the multiples of 100 ms in (start, end] of each final, counted once where finals overlap', () => {
    const m = speechMoments([
      { segment: 1, startMs: 0, endMs: 1000 },
      { segment: 2, startMs: 1450, endMs: 1720 },
      { segment: 3, startMs: 1650, endMs: 1900 },
    ]);
    expect(m.map((x) => x.atMs)).toEqual([...range(100, 1000), 1500, 1600, 1700, 1800, 1900]);
    expect(m.filter((x) => x.segment === 3).map((x) => x.atMs)).toEqual([1800, 1900]);
  });

  it('come from the finals, trimmed to the speech', () => {
    const events = [
      ev({ type: 'partial', receivedMs: 1, mediaStartMs: 0, mediaEndMs: 400 }),
      ev({ type: 'final', receivedMs: 2, segment: 2, mediaStartMs: 3000, mediaEndMs: 3900 }),
      ev({ type: 'final', receivedMs: 3, segment: 1, mediaStartMs: 0, mediaEndMs: 2800 }),
    ];
    expect(speechSegments(events, silenceSpeechBounds(500))).toEqual([
      { segment: 1, startMs: 0, endMs: 2300 },
      { segment: 2, startMs: 3000, endMs: 3400 },
    ]);
  });

  it('without the audio, speech ends silenceMs before the endpointer closed the segment', () => {
    const bounds = silenceSpeechBounds(500);
    expect(bounds({ startMs: 1000, endMs: 3000 })).toEqual({ startMs: 1000, endMs: 2500 });
    expect(bounds({ startMs: 1000, endMs: 1200 })).toEqual({ startMs: 1000, endMs: 1000 });
  });

  describe('energy bounds from the audio sent', () => {
    // 16 kHz: 0–500 ms digital silence, 500–1500 ms a tone, 1500–2500 ms low noise.
    const clip = (tone: number, noise: number) => {
      const s = new Int16Array(16 * 2500);
      for (let i = 8000; i < 24000; i++) s[i] = Math.round(tone * Math.sin((2 * Math.PI * 220 * i) / 16000));
      for (let i = 24000; i < s.length; i++) s[i] = i % 2 ? noise : -noise;
      return s;
    };

    it('find the first and last 10 ms frame above the midpoint between quiet and loud', () => {
      // Tone −13 dBFS, noise −61 dBFS, silence −100: threshold ≈ −57, so the tone is the speech.
      const bounds = energySpeechBounds(clip(10_000, 30));
      expect(bounds({ startMs: 300, endMs: 2300 })).toEqual({ startMs: 500, endMs: 1500 });
      // Never outside the span.
      expect(bounds({ startMs: 700, endMs: 1200 })).toEqual({ startMs: 700, endMs: 1200 });
    });

    it('work on a very quiet recording', () => {
      // Tone −61 dBFS over noise at −84 dBFS (no digital silence in the span): threshold ≈ −73.
      const bounds = energySpeechBounds(clip(40, 2));
      expect(bounds({ startMs: 600, endMs: 2300 })).toEqual({ startMs: 600, endMs: 1500 });
    });

    it('keep a span with no level contrast whole', () => {
      const bounds = energySpeechBounds(clip(10_000, 30));
      expect(bounds({ startMs: 1600, endMs: 2400 })).toEqual({ startMs: 1600, endMs: 2400 });
    });
  });
});

/**
 * One segment spoken from 0 to 1800 ms (moments 100…1800), in simultaneous mode: drafts and two
 * committed chunks, [200, 1000] and [1200, 1600], in Spanish; nothing in French.
 */
const simultaneous: MetricEvent[] = [
  ev({ type: 'partial', receivedMs: 900, mediaStartMs: 0, mediaEndMs: 800, text: 'hello' }),
  ev({ type: 'draft', receivedMs: 1000, mediaStartMs: 200, mediaEndMs: 600, text: 'hola' }),
  ev({ type: 'translation', receivedMs: 1500, mediaStartMs: 200, mediaEndMs: 1000, text: 'hola mundo' }),
  audio(1600, 400, 200, 1000),
  audio(1700, 400, 200, 1000, { flags: 2 }),
  ev({ type: 'draft', receivedMs: 1700, mediaStartMs: 1200, mediaEndMs: 1400, text: 'qué tal' }),
  ev({ type: 'draft', receivedMs: 1800, text: '' }),
  ev({
    type: 'final',
    receivedMs: 2500,
    mediaStartMs: 0,
    mediaEndMs: 2300,
    text: 'Hello world, how are you?',
  }),
  ev({ type: 'translation', receivedMs: 2600, mediaStartMs: 1200, mediaEndMs: 1600, text: 'qué tal' }),
  audio(2700, 300, 1200, 1600, { flags: 3 }),
];
const moments = momentsOf(range(100, 1800));

describe('text lag', () => {
  it('is when a draft or translation first shows the moment: its segment start ≤ moment ≤ its mediaEndMs', () => {
    const shown = textShownAt(moments, simultaneous, 'es');
    expect(shown).toEqual([
      // 100–600: the first draft (ends at 600; the segment starts at 0, from the partial).
      1000, 1000, 1000, 1000, 1000, 1000,
      // 700–1000: the first chunk's translation.
      1500, 1500, 1500, 1500,
      // 1100–1400: the second draft (the empty draft shows nothing).
      1700, 1700, 1700, 1700,
      // 1500–1600: the second chunk's translation; 1700–1800, after the last word the recogniser
      // gave a chunk: shown once the segment's final (2500) and last translation (2600) are.
      2600, 2600, 2600, 2600,
    ]);
    expect(textShownAt(moments, simultaneous, 'fr').every((x) => x === null)).toBe(true);
  });

  it("never counts another segment's events for a moment", () => {
    const events = [
      ...simultaneous,
      ev({ type: 'final', segment: 2, receivedMs: 3500, mediaStartMs: 2500, mediaEndMs: 3000, text: 'Yes.' }),
      ev({ type: 'draft', segment: 2, receivedMs: 2900, mediaStartMs: 2600, mediaEndMs: 2800, text: 'sí' }),
    ];
    const m = [...momentsOf([1700]), ...momentsOf([2600, 2800, 2900], 2)];
    // 2900 is past the draft and segment 2 never got a translation; segment 1's events end earlier.
    expect(textShownAt(m, events, 'es')).toEqual([2600, 2900, 2900, null]);
  });

  it('shows the moments after the last chunk no earlier than the final', () => {
    // Everything was committed early (the final adds nothing): the tail is shown with the final.
    const events = simultaneous.filter((e) => !(e.type === 'translation' && e.receivedMs === 2600));
    expect(textShownAt(momentsOf([1000, 1100, 1500]), events, 'es')).toEqual([1500, 1700, 2500]);
  });

  it('summarises mean, p50 and p95 of the lags, and counts moments never shown', () => {
    const l = languageLag({ moments, events: simultaneous, lang: 'es', sentAtMs: sent });
    // Lags: 900 800 700 600 500 400 | 800 700 600 500 | 600 500 400 300 | 1100 1000 900 800.
    // Sum 12,100 over 18 → mean 672.2; nearest rank: p50 = 9th of the sorted 18 = 600, p95 = 18th.
    expect(l.text).toEqual({ n: 18, mean: 672.2, p50: 600, p95: 1100 });
    expect(l.unshownMoments).toBe(0);
    const fr = languageLag({ moments, events: simultaneous, lang: 'fr', sentAtMs: sent });
    expect(fr.text).toEqual({ n: 0, mean: null, p50: null, p95: null });
    expect(fr.unshownMoments).toBe(18);
    expect(fr.unvoicedMoments).toBe(18);
  });
});

describe('voice lag', () => {
  it('plays packets in arrival order, each at max(arrival, end of the previous one)', () => {
    const chunks = playVoice(
      [
        audio(100, 400, 0, 500),
        audio(200, 400, 0, 500),
        audio(1500, 200, 600, 900),
        audio(1550, 200, 600, 900),
      ],
      'es',
    );
    expect(chunks.map((c) => c.packets.map((p) => p.playMs))).toEqual([
      [100, 500],
      [1500, 1700],
    ]);
    expect(chunks.map((c) => c.durationMs)).toEqual([800, 400]);
  });

  it('hears a moment at its share of the chunk voice, and pauses with the chunk before them', () => {
    const heard = voiceHeardAt(moments, simultaneous, 'es');
    // Chunk [200, 1000]: 800 ms of voice played 1600–2400. Chunk [1200, 1600]: 300 ms played 2700–3000.
    expect(heard).toEqual([
      // 100: before the first chunk's words → when that chunk starts playing.
      1600,
      // 200–1000: 1600 + (m − 200) / 800 × 800.
      1600, 1700, 1800, 1900, 2000, 2100, 2200, 2300, 2400,
      // 1100: the pause between chunks → when the chunk before it has been heard.
      2400,
      // 1200–1600: 2700 + (m − 1200) / 400 × 300.
      2700, 2775, 2850, 2925, 3000,
      // 1700–1800: after the last chunk → its end.
      3000, 3000,
    ]);
  });

  it('follows a stall inside a chunk: the part after it is heard when its packet plays', () => {
    const events = simultaneous.map((e) =>
      e.type === 'audio' && e.receivedMs === 1700 ? { ...e, receivedMs: 2200 } : e,
    );
    const heard = voiceHeardAt(momentsOf([500, 600, 1000]), events, 'es');
    // First packet 1600–2000 (voice 0–400 ms), second arrives at 2200: plays 2200–2600.
    // 500 → voice 300 ms → 1900; 600 → 400 ms → 2200; 1000 → 800 ms → 2600.
    expect(heard).toEqual([1900, 2200, 2600]);
  });

  it('counts moments of committed chunks that were never voiced as unvoiced', () => {
    const events = [
      ...simultaneous,
      ev({ type: 'translation', receivedMs: 2650, mediaStartMs: 1650, mediaEndMs: 1800, text: 'adiós' }),
    ];
    const l = languageLag({ moments, events, lang: 'es', sentAtMs: sent });
    // 1700 and 1800 are in the unvoiced chunk [1650, 1800].
    expect(voiceHeardAt(momentsOf([1600, 1700, 1800]), events, 'es')).toEqual([3000, null, null]);
    expect(l.unvoicedMoments).toBe(2);
    expect(l.voice.n).toBe(16);
  });

  it('never hears a pause before it was said', () => {
    // Chunk [0, 500] played 600–700; the pause at 900 was sent at 900: heard then, lag 0.
    const events = [
      ev({ type: 'final', receivedMs: 1500, mediaStartMs: 0, mediaEndMs: 1500, text: 'Hi.' }),
      ev({ type: 'translation', receivedMs: 600, mediaStartMs: 0, mediaEndMs: 500, text: 'hola' }),
      audio(600, 100, 0, 500),
    ];
    const m = momentsOf([500, 900]);
    expect(voiceHeardAt(m, events, 'es')).toEqual([700, 700]);
    expect(voiceHeardAt(m, events, 'es', sent)).toEqual([700, 900]);
    expect(languageLag({ moments: m, events, lang: 'es', sentAtMs: sent }).voiceSamples).toEqual([200, 0]);
  });

  it('takes the earliest of two chunks holding a moment', () => {
    const events = [audio(500, 1000, 0, 1000), audio(300, 100, 900, 1000)];
    // The second chunk arrives first: plays 300–400; the first 500–1500 (m = 1000 at its end).
    expect(voiceHeardAt(momentsOf([1000]), events, 'es')).toEqual([400]);
  });

  it('drift is the mean lag of the last third of the talk minus that of the first', () => {
    const m = momentsOf(range(100, 900));
    // Thirds of the speech, 100–900: ≤ 366.7 and > 633.3.
    const lags = [1, 2, 3, 50, 50, 50, 7, 8, null];
    expect(driftMs(m, lags)).toBe(5.5);
    expect(driftMs(m, [null, null, null, 1, 1, 1, 1, 1, 1])).toBeNull();
  });

  it('summarises the voice lag the same way as the text lag', () => {
    const l = languageLag({ moments, events: simultaneous, lang: 'es', sentAtMs: sent });
    // Lags: 1500, 1400 (×9: 1600−200 … 2400−1000), 1300, 1500, 1475, 1450, 1425, 1400, 1300, 1200.
    const lags = [1500, ...Array(9).fill(1400), 1300, 1500, 1475, 1450, 1425, 1400, 1300, 1200];
    expect(l.voiceSamples).toEqual(lags);
    expect(l.voice).toEqual({ n: 18, mean: 1397.2, p50: 1400, p95: 1500 });
    // Thirds of 100–1800: ≤ 666.7 → 1500, 1400 × 5 (mean 1416.7); > 1233.3 → 1475 … 1200 (mean 1375).
    expect(l.voiceDriftMs).toBe(-41.7);
  });
});

describe('normalized erasure', () => {
  it('counts words removed from the shown line, over the words of the final translations', () => {
    const events = [
      // Line: [] → a b c: nothing erased.
      ev({ type: 'draft', receivedMs: 1, text: 'a b c' }),
      // a b c → a b d e: common prefix 2, "c" erased (1).
      ev({ type: 'draft', receivedMs: 2, text: 'a b d e' }),
      // Committed "a b" and the draft goes: a b d e → a b, "d e" erased (2).
      ev({ type: 'translation', receivedMs: 3, text: 'a b' }),
      // a b → a b d f: nothing erased.
      ev({ type: 'draft', receivedMs: 4, text: 'd f' }),
      // Other languages and source captions do not touch the Spanish line.
      ev({ type: 'draft', lang: 'fr', receivedMs: 4, text: 'x y z' }),
      ev({ type: 'partial', receivedMs: 4, text: 'q' }),
      // a b d f → a b d e f: common prefix 3, "f" erased (1).
      ev({ type: 'translation', receivedMs: 5, text: 'd e f' }),
      // Segment 2: x → y, "x" erased (1).
      ev({ type: 'draft', segment: 2, receivedMs: 6, text: 'x' }),
      ev({ type: 'translation', segment: 2, receivedMs: 7, text: 'y' }),
      // An empty draft after a translation changes nothing.
      ev({ type: 'draft', segment: 2, receivedMs: 8, text: '' }),
    ];
    // 5 words erased; final lines "a b d e f" and "y": 6 words.
    expect(normalizedErasure(events, 'es')).toEqual({ erasedWords: 5, finalWords: 6, erasure: 0.833 });
    expect(normalizedErasure(events, 'fr')).toEqual({ erasedWords: 0, finalWords: 0, erasure: null });
  });

  it('is 0 for sentence mode (translations only) and for drafts that only grow', () => {
    expect(
      normalizedErasure(
        [
          ev({ type: 'translation', receivedMs: 1, text: 'uno dos' }),
          ev({ type: 'translation', segment: 2, receivedMs: 2, text: 'tres' }),
        ],
        'es',
      ).erasure,
    ).toBe(0);
    expect(
      normalizedErasure(
        [
          ev({ type: 'draft', receivedMs: 1, text: 'uno' }),
          ev({ type: 'draft', receivedMs: 2, text: 'uno dos' }),
          ev({ type: 'translation', receivedMs: 3, text: 'uno dos' }),
        ],
        'es',
      ).erasure,
    ).toBe(0);
  });
});

describe('from the last word', () => {
  it('measures final, committing translation and first voice from the end of the speech', () => {
    // Speech ends at 2300 − 500 = 1800. Final at 2500 → 700. No chunk reaches 1800: the committing
    // translation is the segment's last (2600 → 800); the voice of the last chunk before it starts
    // arriving at 2700 → 900.
    const r = fromLastWord({
      events: simultaneous,
      languages: ['es', 'fr'],
      bounds: silenceSpeechBounds(500),
      sentAtMs: sent,
    });
    expect(r).toEqual({ final: [700], translation: [800], firstVoice: [900] });
  });

  it('in sentence mode, from the last word rather than from the close of the segment', () => {
    const events = [
      ev({ type: 'final', receivedMs: 2400, mediaStartMs: 0, mediaEndMs: 2300, text: 'Hello.' }),
      ev({ type: 'translation', receivedMs: 2450, mediaStartMs: 0, mediaEndMs: 2300, text: 'Hola.' }),
      audio(2500, 200, 0, 2300),
      audio(2510, 200, 0, 2300),
    ];
    const r = fromLastWord({ events, languages: ['es'], bounds: silenceSpeechBounds(500), sentAtMs: sent });
    expect(r).toEqual({ final: [600], translation: [650], firstVoice: [700] });
  });
});

describe('replay completion', () => {
  const done: ReplayEvent[] = [
    {
      type: 'final',
      lang: 'en',
      segment: 1,
      seq: 1,
      text: 'Hi.',
      mediaStartMs: 0,
      mediaEndMs: 900,
      receivedMs: 1,
    },
    {
      type: 'translation',
      lang: 'es',
      segment: 1,
      seq: 2,
      text: 'Hola.',
      mediaStartMs: 0,
      mediaEndMs: 900,
      receivedMs: 2,
    },
    {
      type: 'audio',
      lang: 'es',
      segment: 1,
      seq: 3,
      mediaStartMs: 0,
      mediaEndMs: 900,
      receivedMs: 3,
      flags: 3,
    },
  ];
  it('waits for every committed chunk to be voiced to its last packet', () => {
    expect(isComplete(done, ['es'], 'en', new Set(['es']))).toBe(true);
    expect(isComplete(done.slice(0, 2), ['es'], 'en', new Set(['es']))).toBe(false);
    expect(isComplete(done.slice(0, 2), ['es'], 'en', new Set())).toBe(true);
    const second: ReplayEvent = {
      ...done[1]!,
      seq: 4,
      text: 'Sí.',
      mediaStartMs: 1000,
      mediaEndMs: 1500,
      receivedMs: 4,
    };
    expect(isComplete([...done, second], ['es'], 'en', new Set(['es']))).toBe(false);
  });

  it('is not complete while a draft is newer than the last translation', () => {
    const draft: ReplayEvent = { ...done[1]!, type: 'draft', seq: 5, text: 'y', receivedMs: 5 };
    expect(isComplete([...done, draft], ['es'], 'en', new Set(['es']))).toBe(false);
  });
});

describe('latency from the end of each span (latencyMs)', () => {
  it('measures each stage from the send time of the frame holding the end of its span', () => {
    // 200 ms frames; frame 4 (800–1000 ms) left the client 30 ms late.
    const sentAt = Float64Array.from({ length: 10 }, (_, i) => i * 200 + (i === 4 ? 30 : 0));
    const e = (x: Partial<ReplayEvent> & Pick<ReplayEvent, 'type' | 'receivedMs'>): ReplayEvent => ({
      lang: 'es',
      segment: 1,
      seq: 0,
      mediaStartMs: 0,
      mediaEndMs: 0,
      ...x,
    });
    const events: ReplayEvent[] = [
      // A partial counts when it shows a new word: 700 − sent(frame 2 = 400) = 300.
      e({ type: 'partial', lang: 'en', receivedMs: 700, mediaEndMs: 600, text: 'hello' }),
      e({ type: 'partial', lang: 'en', receivedMs: 900, mediaEndMs: 800, text: 'hello' }),
      // 1100 − sent(frame 4 = 830) = 270.
      e({ type: 'partial', lang: 'en', receivedMs: 1100, mediaEndMs: 1000, text: 'hello world' }),
      // Drafts with text: 1200 − 830 = 370; the empty one is not counted.
      e({ type: 'draft', receivedMs: 1200, mediaEndMs: 1000, text: 'hola' }),
      e({ type: 'draft', receivedMs: 1250, text: '' }),
      // 1500 − sent(frame 6 = 1200) = 300; translation 350.
      e({ type: 'final', lang: 'en', receivedMs: 1500, mediaEndMs: 1400, text: 'Hello world.' }),
      e({ type: 'translation', receivedMs: 1550, mediaEndMs: 1400, text: 'Hola mundo.' }),
      // First packet of each voice chunk: 1600 − 1200 = 400; 2000 − sent(frame 8 = 1600) = 400.
      e({ type: 'audio', receivedMs: 1600, mediaEndMs: 1400, durationMs: 200 }),
      e({ type: 'audio', receivedMs: 1650, mediaEndMs: 1400, durationMs: 200 }),
      e({ type: 'audio', receivedMs: 2000, mediaStartMs: 1400, mediaEndMs: 1800, durationMs: 200 }),
    ];
    const s = summarize({
      events,
      sentAt,
      frameMs: 200,
      source: 'en',
      listen: ['es'],
      audio: new Int16Array(32_000),
      inputMs: 2000,
    });
    expect(s.samples.partial).toEqual([300, 270]);
    expect(s.samples.draft).toEqual([370]);
    expect(s.samples.final).toEqual([300]);
    expect(s.samples.translation).toEqual([350]);
    expect(s.samples.audio).toEqual([400, 400]);
    expect(s.latencyMs.partial).toEqual({ n: 2, p50: 270, p95: 300 });
    // Moments 100…1400 of the final (silent audio: no level contrast, the span is kept whole).
    expect(s.speechMoments).toBe(14);
    expect(s.transcript).toEqual({ en: 'Hello world.', es: 'Hola mundo.' });
    expect(s.audioMs).toEqual({ es: 600 });
  });
});
