import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createFakeEngines, FakeMt, FakeTts } from '../engines/fakes/index.ts';
import { warmUpEngines } from './warm-up.ts';

describe('warmUpEngines', () => {
  it('runs the recogniser, every pair from a recognised language and the voices of their targets only', async () => {
    const mt = new FakeMt({
      pairs: [
        { from: 'en', to: 'es', via: [] },
        { from: 'en', to: 'fr', via: ['es'] },
        { from: 'xx', to: 'de', via: [] },
      ],
    });
    const tts = new FakeTts({ languages: ['es', 'fr', 'de', 'it'] });
    const engines = { ...createFakeEngines(), mt, tts };
    const report = await warmUpEngines(engines, pino({ level: 'silent' }));
    // The fake recogniser knows en (not xx): en→es and en→fr are warmed, xx→de is not.
    expect(report.pairs).toBe(2);
    expect(mt.calls).toBe(2);
    // Voices for es and fr (targets), not de (no served pair) nor it (no pair at all).
    expect(report.voices).toBe(2);
    expect(tts.rates).toHaveLength(2);
    expect(report.asrStreams).toBe(1);
    expect(report.failures).toEqual([]);
  });
});
