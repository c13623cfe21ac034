/** The pipeline says on the state subject when its recogniser backlog crosses the limits. */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { readWavFile } from '../audio/wav.ts';
import { InMemoryBus } from '../bus/bus.ts';
import { type SessionEvent, subjects } from '../bus/subjects.ts';
import { createFakeEngines, FakeAsr } from '../engines/fakes/index.ts';
import { TEST_PIPELINE } from '../testing/defaults.ts';
import { speechClip } from '../testing/shared-data.ts';
import { SessionPipeline } from './session-pipeline.ts';
import type { PipelineMode } from './tuning.ts';

/** A pipeline whose recogniser needs 300 ms per utterance, with a backlog limit of 2 s (low mark 1 s). */
const slowPipeline = (bus: InMemoryBus, mode: PipelineMode) =>
  new SessionPipeline({
    ...TEST_PIPELINE,
    sessionId: 's1',
    sourceLanguage: 'en',
    engines: { ...createFakeEngines(), asr: new FakeAsr({ finishDelayMs: 300 }) },
    bus,
    logger: pino({ level: 'silent' }),
    mode,
    backlog: { highSeconds: 2, lowSeconds: 1 },
  });

describe('ASR backlog events', () => {
  it('high above the limit, low once it has fallen to the low mark, low on a close while high', async () => {
    const bus = new InMemoryBus();
    const events: SessionEvent[] = [];
    bus.subscribe(subjects.state('s1'), (e) => events.push(e));
    const pipeline = slowPipeline(bus, 'sentence');
    const { samples } = readWavFile(speechClip('long-en-02.wav'));
    for (let at = 0; at < samples.length; at += 3200) pipeline.pushAudio(samples.subarray(at, at + 3200));
    pipeline.pushAudio(new Int16Array(16_000));
    const backlog = () => events.flatMap((e) => (e.type === 'backlog' ? [e] : []));
    expect(backlog().length).toBeGreaterThan(0);
    expect(backlog().every((e) => e.level === 'high' && e.seconds > 2)).toBe(true);
    await pipeline.flush();
    const low = backlog().filter((e) => e.level === 'low');
    expect(low).toHaveLength(1);
    expect(low[0]!.seconds).toBeLessThanOrEqual(1);
    expect(backlog().at(-1)?.level).toBe('low');
    await pipeline.close();
    expect(backlog().filter((e) => e.level === 'low')).toHaveLength(1);

    // Closed while behind (session ended, node shutting down): the speaker's socket is released.
    events.length = 0;
    const again = slowPipeline(bus, 'simultaneous');
    for (let at = 0; at < samples.length; at += 3200) again.pushAudio(samples.subarray(at, at + 3200));
    expect(backlog().at(-1)?.level).toBe('high');
    await again.close();
    expect(backlog().at(-1)?.level).toBe('low');
  }, 60_000);
});
