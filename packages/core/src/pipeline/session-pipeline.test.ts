import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { readWavFile } from '../audio/wav.ts';
import { createFakeEngines, FakeMt } from '../engines/fakes/index.ts';
import { InMemoryBus } from '../bus/bus.ts';
import { type SessionOutput, subjects } from '../bus/subjects.ts';
import { TEST_PIPELINE } from '../testing/defaults.ts';
import { speechClip } from '../testing/shared-data.ts';
import { SessionPipeline } from './session-pipeline.ts';
import type { TranscriptSegment } from './types.ts';

const logger = pino({ level: 'silent' });

function run(
  languages: string[],
  mt = new FakeMt(),
  extra: Partial<ConstructorParameters<typeof SessionPipeline>[0]> = {},
) {
  const bus = new InMemoryBus();
  const out: SessionOutput[] = [];
  bus.subscribe(subjects.output('s1'), (m) => out.push(m));
  const stored: TranscriptSegment[] = [];
  const engines = { ...createFakeEngines(), mt, ...extra.engines };
  const pipeline = new SessionPipeline({
    ...TEST_PIPELINE,
    sessionId: 's1',
    sourceLanguage: 'en',
    bus,
    logger,
    onTranscript: (s) => stored.push(s),
    ...extra,
    engines,
  });
  bus.publish(subjects.demand('s1', 'g1'), { type: 'demand', languages, gateway: 'g1', at: Date.now() });
  return { bus, out, stored, pipeline, mt };
}

function feed(pipeline: SessionPipeline, file: string) {
  const { samples } = readWavFile(speechClip(file));
  for (let at = 0; at < samples.length; at += 3200) pipeline.pushAudio(samples.subarray(at, at + 3200));
  // Trailing silence lets the endpointer close the last utterance the way a pause would.
  pipeline.pushAudio(new Int16Array(16000));
}

describe('SessionPipeline with fake engines on real speech', () => {
  it.each(['sentence', 'simultaneous'] as const)(
    '%s mode: partials, finals, translations and audio per demanded language, in order',
    async (mode) => {
      const { out, stored, pipeline } = run(['es', 'fr'], new FakeMt(), { mode });
      feed(pipeline, 'long-en-02.wav');
      await pipeline.flush();
      const captions = out.flatMap((m) => (m.type === 'caption' ? [m.event] : []));
      const finals = captions.filter((c) => c.kind === 'final');
      // long-en-02 is five quiet clips (peaks near -45 dBFS after the first) separated by silence.
      expect(finals.length).toBeGreaterThanOrEqual(4);
      expect(captions.some((c) => c.kind === 'partial')).toBe(true);
      const seqs = out.flatMap((m) =>
        m.type === 'caption' ? [m.event.seq] : m.type === 'audio' ? [m.packet.seq] : [],
      );
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
      for (const lang of ['es', 'fr']) {
        const tr = captions.filter((c) => c.kind === 'translation' && c.lang === lang);
        if (mode === 'sentence') {
          expect(tr.map((t) => t.segmentId)).toEqual(finals.map((f) => f.segmentId));
          expect(tr[0]!.text).toBe(`[${lang}] ${finals[0]!.text}`);
        } else {
          // Several chunks per segment; joined, they read as the segment's final sentence.
          expect([...new Set(tr.map((t) => t.segmentId))]).toEqual(finals.map((f) => f.segmentId));
          expect(tr.length).toBeGreaterThan(finals.length);
          for (const f of finals) {
            const line = tr
              .filter((t) => t.segmentId === f.segmentId)
              .map((t) => t.text.replace(`[${lang}] `, ''))
              .join(' ');
            // A chunk committed at the last pause has no full stop yet; the stored line gets one.
            expect(line.replace(/\.$/, '')).toBe(f.text.replace(/\.$/, ''));
            const chunks = tr.filter((t) => t.segmentId === f.segmentId).map((t) => t.text);
            const storedLine = stored.find(
              (s) => s.kind === 'translation' && s.lang === lang && s.segmentId === f.segmentId,
            );
            expect(storedLine?.text).toBe(`${chunks.join(' ').replace(/\.$/, '')}.`);
          }
        }
        const audio = out.flatMap((m) =>
          m.type === 'audio' && m.packet.language === lang ? [m.packet] : [],
        );
        expect(new Set(audio.map((a) => a.segmentId)).size).toBe(finals.length);
      }
      // Media timestamps move forward and sit inside the clip (45 s).
      for (let i = 1; i < finals.length; i++)
        expect(finals[i]!.mediaStartMs).toBeGreaterThanOrEqual(finals[i - 1]!.mediaEndMs);
      expect(finals.at(-1)!.mediaEndMs).toBeLessThanOrEqual(46_500);
      // Every final and translation is persisted, one line per segment and language.
      expect(stored.filter((s) => s.kind === 'source')).toHaveLength(finals.length);
      expect(stored.filter((s) => s.kind === 'translation')).toHaveLength(finals.length * 2);
      await pipeline.close();
    },
  );

  it('simultaneous mode: a translated draft of a segment arrives before its committed translation', async () => {
    const { out, pipeline } = run(['es'], new FakeMt(), { mode: 'simultaneous' });
    feed(pipeline, 'ljspeech-01.wav');
    // Drafts are coalesced on a timer: let them run as they would while audio streams in.
    await new Promise((r) => setTimeout(r, 1200));
    await pipeline.flush();
    const drafts = out.flatMap((m) => (m.type === 'draft' ? [m.event] : []));
    const translations = out.flatMap((m) =>
      m.type === 'caption' && m.event.kind === 'translation' ? [m.event] : [],
    );
    expect(drafts.length).toBeGreaterThan(0);
    const firstDraft = drafts.find((d) => d.text !== '')!;
    // The translated draft hides its last word (mask-1): "[es] alpha" shows as "[es]".
    expect(firstDraft.text).toMatch(/^\[es\]/);
    const lastTranslation = translations.filter((t) => t.segmentId === firstDraft.segmentId).at(-1)!;
    expect(firstDraft.seq).toBeLessThan(lastTranslation.seq);
    expect(firstDraft.mediaEndMs).toBeLessThanOrEqual(lastTranslation.mediaEndMs);
    await pipeline.close();
  });

  it('never translates into a language nobody listens to, and stops when the last listener leaves', async () => {
    const { bus, out, pipeline, mt } = run([]);
    feed(pipeline, 'ljspeech-01.wav');
    await pipeline.flush();
    expect(mt.calls).toBe(0);
    expect(out.some((m) => m.type === 'caption' && m.event.kind === 'final')).toBe(true);
    bus.publish(subjects.demand('s1', 'g1'), {
      type: 'demand',
      languages: ['de'],
      gateway: 'g1',
      at: Date.now(),
    });
    feed(pipeline, 'ljspeech-02.wav');
    await pipeline.flush();
    expect(mt.calls).toBeGreaterThan(0);
    const calls = mt.calls;
    bus.publish(subjects.demand('s1', 'g1'), {
      type: 'demand',
      languages: [],
      gateway: 'g1',
      at: Date.now(),
    });
    feed(pipeline, 'ljspeech-03.wav');
    await pipeline.flush();
    expect(mt.calls).toBe(calls);
    await pipeline.close();
  });

  it('skips a sentence whose translation fails, with a notice, and goes on', async () => {
    const mt = new FakeMt();
    mt.failFor.add('es');
    const { out, pipeline } = run(['es', 'fr'], mt);
    feed(pipeline, 'ljspeech-01.wav');
    await pipeline.flush();
    expect(out.some((m) => m.type === 'notice' && m.notice.lang === 'es')).toBe(true);
    expect(
      out.some((m) => m.type === 'caption' && m.event.kind === 'translation' && m.event.lang === 'fr'),
    ).toBe(true);
    mt.failFor.clear();
    feed(pipeline, 'ljspeech-02.wav');
    await pipeline.flush();
    expect(
      out.some((m) => m.type === 'caption' && m.event.kind === 'translation' && m.event.lang === 'es'),
    ).toBe(true);
    await pipeline.close();
  });

  it('emits no text for silence or low noise', async () => {
    const { out, pipeline } = run(['es']);
    const noise = new Int16Array(16000 * 5);
    for (let i = 0; i < noise.length; i++) noise[i] = Math.round((Math.random() - 0.5) * 60);
    pipeline.pushAudio(noise);
    await pipeline.flush();
    expect(out.filter((m) => m.type === 'caption')).toHaveLength(0);
    await pipeline.close();
  });
});
