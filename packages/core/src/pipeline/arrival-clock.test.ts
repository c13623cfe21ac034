import { describe, expect, it } from 'vitest';
import { ArrivalClock } from './arrival-clock.ts';

describe('ArrivalClock', () => {
  it('answers the arrival time of the buffer that held a media position', () => {
    let now = 1000;
    const clock = new ArrivalClock(() => now);
    clock.advance(100); // media 0–100 at 1000
    now = 1100;
    clock.advance(100); // 100–200 at 1100
    now = 1250;
    clock.advance(100); // 200–300 at 1250
    expect(clock.wallAt(50)).toBe(1000);
    expect(clock.wallAt(100)).toBe(1000);
    expect(clock.wallAt(101)).toBe(1100);
    expect(clock.wallAt(300)).toBe(1250);
    now = 2000;
    // Not arrived yet: now.
    expect(clock.wallAt(301)).toBe(2000);
  });

  it('forgets positions older than its horizon but still answers for them', () => {
    let now = 0;
    const clock = new ArrivalClock(() => now, 1000);
    for (let i = 0; i < 500; i++) {
      clock.advance(100);
      now += 100;
    }
    expect(clock.wallAt(49_950)).toBe(49_900);
    expect(clock.wallAt(10)).toBeLessThan(49_000);
  });
});
