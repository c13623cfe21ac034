/**
 * The audio consumer's bookkeeping without NATS: a frame stored twice is handed out once, an
 * acknowledgement saves the stream position of the last frame it covers, and nothing is saved
 * when the position would not move (a resuming worker must never start before what it acked).
 */
import type { ResumeMark } from '@babelcast/core';
import { describe, expect, it } from 'vitest';
import { AudioPositions } from '../src/audio-positions.ts';

describe('AudioPositions', () => {
  it('hands a frame out once, even when the stream holds it twice', () => {
    const p = new AudioPositions(null);
    expect(p.deliver(1, 10)).toBe(true);
    expect(p.deliver(2, 11)).toBe(true);
    expect(p.deliver(2, 12)).toBe(false);
    expect(p.deliver(1, 13)).toBe(false);
    expect(p.deliver(3, 14)).toBe(true);
  });

  it('saves the stream position of the last frame an ack covers, with the resume mark', () => {
    const p = new AudioPositions(null);
    p.deliver(1, 10);
    p.deliver(2, 11);
    p.deliver(3, 12);
    expect(p.ack(2)).toEqual({ seq: 2, streamSeq: 11, mark: null });
    const mark: ResumeMark = { mediaSamples: 9600, segmentId: 4, outputSeq: 17 };
    expect(p.ack(3, mark)).toEqual({ seq: 3, streamSeq: 12, mark });
  });

  it('saves nothing when an ack covers no new frame and brings no mark', () => {
    const p = new AudioPositions(null);
    p.deliver(1, 10);
    expect(p.ack(1)).not.toBeNull();
    expect(p.ack(1)).toBeNull();
    expect(p.ack(0)).toBeNull();
  });

  it('goes on from a saved position: earlier frames are not handed out again', () => {
    const p = new AudioPositions({ seq: 5, streamSeq: 40, mark: null });
    expect(p.streamSeq).toBe(40);
    expect(p.deliver(5, 41)).toBe(false);
    expect(p.deliver(6, 42)).toBe(true);
    expect(p.ack(6)).toEqual({ seq: 6, streamSeq: 42, mark: null });
  });
});
