import { describe, expect, it } from 'vitest';
import { type Piece, PlayoutSchedule, voiceChunkKey } from '../src/pages/shared/playout-schedule.ts';

const FRAME = 0.02;
const pieces = (chunk: number | string, count: number, from = 0): Piece[] =>
  Array.from({ length: count }, (_, i) => ({
    chunk: String(chunk),
    offset: (from + i) * FRAME,
    duration: FRAME,
  }));

/** Check that intervals neither overlap nor leave gaps between consecutive pieces. */
function gapsAndOverlaps(starts: number[], duration = FRAME): { gaps: number; overlaps: number } {
  let gaps = 0;
  let overlaps = 0;
  for (let i = 1; i < starts.length; i++) {
    const d = starts[i]! - (starts[i - 1]! + duration);
    if (d > 1e-9) gaps++;
    if (d < -1e-9) overlaps++;
  }
  return { gaps, overlaps };
}

describe('PlayoutSchedule', () => {
  it('plays a sentence that arrives in one burst back to back after the cushion', () => {
    const s = new PlayoutSchedule();
    const starts = pieces(1, 50).map((p) => s.place(p, 10)!);
    expect(starts[0]).toBeCloseTo(10.15, 6);
    expect(gapsAndOverlaps(starts)).toEqual({ gaps: 0, overlaps: 0 });
  });

  it('absorbs network jitter smaller than the cushion without a gap', () => {
    const s = new PlayoutSchedule();
    const starts: number[] = [];
    // Five-frame packets every 100 ms, each arriving up to 120 ms late.
    const jitter = [0, 0.12, 0.03, 0.1, 0.0, 0.11, 0.05, 0.09];
    for (let k = 0; k < jitter.length; k++) {
      const now = 5 + k * 0.1 + jitter[k]!;
      for (const p of pieces(7, 5, k * 5)) starts.push(s.place(p, now)!);
    }
    expect(gapsAndOverlaps(starts)).toEqual({ gaps: 0, overlaps: 0 });
  });

  it('joins pieces whose decoded length differs slightly from the nominal frame', () => {
    const s = new PlayoutSchedule();
    const starts: number[] = [];
    let end = 0;
    for (let i = 0; i < 20; i++) {
      // The decoder returns 19.5 ms for a nominal 20 ms frame.
      const at = s.place({ chunk: '1', offset: i * FRAME, duration: 0.0195 }, 0)!;
      if (i > 0) expect(at).toBeCloseTo(end, 9);
      end = at + 0.0195;
      starts.push(at);
    }
    expect(gapsAndOverlaps(starts, 0.0195)).toEqual({ gaps: 0, overlaps: 0 });
  });

  it('leaves the silence of a lost packet in place', () => {
    const s = new PlayoutSchedule();
    const a = pieces(1, 5).map((p) => s.place(p, 0)!);
    const b = pieces(1, 5, 10).map((p) => s.place(p, 0)!);
    expect(b[0]! - (a.at(-1)! + FRAME)).toBeCloseTo(5 * FRAME, 9);
  });

  it('slides the rest of a sentence when a piece comes too late, never overlapping', () => {
    const s = new PlayoutSchedule();
    const first = pieces(1, 5).map((p) => s.place(p, 0)!);
    // The next packet arrives a full second later: its slot has long passed.
    const late = pieces(1, 5, 5).map((p) => s.place(p, 1.2)!);
    expect(late[0]).toBeGreaterThanOrEqual(1.2);
    expect(gapsAndOverlaps(late)).toEqual({ gaps: 0, overlaps: 0 });
    expect(late[0]!).toBeGreaterThan(first.at(-1)! + FRAME);
  });

  it('starts the next sentence only when the previous one has finished', () => {
    const s = new PlayoutSchedule();
    const a = pieces(1, 100).map((p) => s.place(p, 0)!);
    const b = pieces(2, 10).map((p) => s.place(p, 0.5)!);
    expect(b[0]).toBeCloseTo(a.at(-1)! + FRAME, 9);
    expect(gapsAndOverlaps([...a, ...b])).toEqual({ gaps: 0, overlaps: 0 });
  });

  it('skips whole new sentences when the listener is far behind', () => {
    const s = new PlayoutSchedule({ startDelay: 0.1, minLead: 0.02, maxBacklog: 1, snap: 0.01 });
    for (const p of pieces(1, 100)) s.place(p, 0);
    expect(s.place(pieces(2, 1)[0]!, 0)).toBeNull();
    expect(s.place(pieces(2, 1, 1)[0]!, 0)).toBeNull();
    expect(s.skippedChunks).toBe(1);
    // Once caught up, sentences play again.
    expect(s.place(pieces(3, 1)[0]!, 2.5)).toBeCloseTo(2.6, 9);
  });

  it('follows a chunk with the next chunk of the same segment seamlessly while it still plays', () => {
    const s = new PlayoutSchedule();
    const a = pieces('1:0-1500', 50).map((p) => s.place(p, 0)!);
    // The next clause is voiced while the first still plays; offsets continue across the segment.
    const b = pieces('1:1500-2600', 30, 50).map((p) => s.place(p, 0.4)!);
    expect(b[0]).toBeCloseTo(a.at(-1)! + FRAME, 9);
    expect(gapsAndOverlaps([...a, ...b])).toEqual({ gaps: 0, overlaps: 0 });
  });

  it('starts a chunk that comes after the previous one finished with its own cushion, so jitter inside it leaves no gap', () => {
    // The speaker is still talking: the segment's second clause is voiced 2 s after the first
    // ended, five-frame packets every 100 ms, each up to 120 ms late.
    const jitter = [0, 0.12, 0.03, 0.1, 0.0, 0.11, 0.05, 0.09];
    const playChunks = (secondChunkKey: string) => {
      const s = new PlayoutSchedule();
      const first = pieces('1:0-1500', 50).map((p) => s.place(p, 0)!);
      const second: number[] = [];
      for (let k = 0; k < jitter.length; k++) {
        const now = 3 + k * 0.1 + jitter[k]!;
        for (const p of pieces(secondChunkKey, 5, 50 + k * 5)) second.push(s.place(p, now)!);
      }
      return { first, second };
    };
    const { first, second } = playChunks('1:1500-2600');
    expect(second[0]).toBeCloseTo(3.15, 9);
    expect(gapsAndOverlaps(second)).toEqual({ gaps: 0, overlaps: 0 });
    expect(second[0]!).toBeGreaterThan(first.at(-1)! + FRAME);
    // Anchored to the segment instead (as sentence mode was), the late chunk would start with no
    // cushion and every late packet would leave a hole.
    expect(gapsAndOverlaps(playChunks('1:0-1500').second).gaps).toBeGreaterThan(0);
  });

  it('skips a whole chunk when far behind and plays the segment’s next chunk once caught up', () => {
    const s = new PlayoutSchedule({ startDelay: 0.1, minLead: 0.02, maxBacklog: 1, snap: 0.01 });
    for (const p of pieces('1:0-3000', 100)) s.place(p, 0);
    expect(s.place(pieces('2:3000-4000', 1)[0]!, 0)).toBeNull();
    expect(s.place(pieces('2:3000-4000', 1, 1)[0]!, 0.5)).toBeNull();
    expect(s.skippedChunks).toBe(1);
    expect(s.place(pieces('2:4000-5000', 1, 50)[0]!, 2.5)).toBeCloseTo(2.6, 9);
  });

  it('tells chunks apart by the span of speech they voice', () => {
    const packet = { segmentId: 4, mediaStartMs: 1200, mediaEndMs: 2300 };
    expect(voiceChunkKey(packet)).toBe(voiceChunkKey({ ...packet }));
    expect(voiceChunkKey(packet)).not.toBe(
      voiceChunkKey({ ...packet, mediaStartMs: 2300, mediaEndMs: 3100 }),
    );
    expect(voiceChunkKey(packet)).not.toBe(voiceChunkKey({ ...packet, segmentId: 5 }));
  });

  it('forgets everything on reset', () => {
    const s = new PlayoutSchedule();
    for (const p of pieces(1, 100)) s.place(p, 0);
    s.reset();
    expect(s.backlog(0)).toBe(0);
    expect(s.place(pieces(1, 1)[0]!, 3)).toBeCloseTo(3.15, 9);
  });
});
