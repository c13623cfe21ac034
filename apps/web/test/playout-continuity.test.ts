import { describe, expect, it } from 'vitest';
import { PlayoutContinuity } from '../src/pages/shared/playout-continuity.ts';

describe('PlayoutContinuity', () => {
  it('counts silence inside a chunk, but not between chunks of one segment', () => {
    const c = new PlayoutContinuity();
    c.note('1:0-1500', 0, 0.5);
    c.note('1:0-1500', 0.5, 0.5);
    // The segment's next clause starts after a pause: expected, not a gap.
    c.note('1:1500-2600', 2, 0.5);
    expect(c.gapsInChunks).toBe(0);
    c.note('1:1500-2600', 2.7, 0.5);
    expect(c.gapsInChunks).toBe(1);
    expect(c.overlaps).toBe(0);
  });

  it('counts overlaps anywhere and tolerates rounding', () => {
    const c = new PlayoutContinuity();
    c.note('1:0-1000', 0, 0.5);
    c.note('1:0-1000', 0.5 + 1e-6, 0.5);
    c.note('2:1000-2000', 0.9, 0.5);
    expect(c).toMatchObject({ overlaps: 1, gapsInChunks: 0 });
    c.reset();
    c.note('3:2000-3000', 0, 0.5);
    expect(c.overlaps).toBe(1);
  });
});
