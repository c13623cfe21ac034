import { describe, expect, it } from 'vitest';
import { UnackedFrames } from '../src/pages/shared/unacked-frames.ts';

const frame = (seq: number) => ({ seq, bytes: new Uint8Array([seq]), durationMs: 200 });

describe('UnackedFrames', () => {
  it('resends exactly the frames after the server’s last seq', () => {
    const buf = new UnackedFrames();
    for (let s = 0; s < 10; s++) buf.push(frame(s));
    buf.ack(3);
    expect(buf.size).toBe(6);
    expect(buf.after(6).map((f) => f.seq)).toEqual([7, 8, 9]);
    expect(buf.after(null).map((f) => f.seq)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(buf.durationMs).toBe(1200);
  });

  it('treats acks as cumulative and ignores stale ones', () => {
    const buf = new UnackedFrames();
    for (let s = 0; s < 5; s++) buf.push(frame(s));
    buf.ack(4);
    buf.ack(2);
    expect(buf.size).toBe(0);
    expect(buf.durationMs).toBe(0);
  });

  it('drops the oldest audio beyond its capacity and says how much', () => {
    const buf = new UnackedFrames(1000);
    for (let s = 0; s < 8; s++) buf.push(frame(s));
    expect(buf.after(null).map((f) => f.seq)).toEqual([3, 4, 5, 6, 7]);
    expect(buf.droppedFrames).toBe(3);
    expect(buf.droppedMs).toBe(600);
  });

  it('refuses frames out of order', () => {
    const buf = new UnackedFrames();
    buf.push(frame(5));
    expect(() => buf.push(frame(5))).toThrow(RangeError);
  });
});

describe('UnackedFrames.clear (the server refused the frames: the session is paused)', () => {
  it('forgets the backlog without counting it as lost to an outage, and takes new frames after', () => {
    const buf = new UnackedFrames();
    for (let s = 0; s < 5; s++) buf.push(frame(s));
    buf.ack(1);
    expect(buf.clear()).toBe(3);
    expect(buf.size).toBe(0);
    expect(buf.durationMs).toBe(0);
    expect(buf.after(1)).toEqual([]);
    expect(buf.droppedMs).toBe(0);
    // Numbering restarts right after the last acknowledged frame.
    buf.push(frame(2));
    expect(buf.after(1).map((f) => f.seq)).toEqual([2]);
  });
});
