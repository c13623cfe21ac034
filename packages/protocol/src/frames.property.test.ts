/** Property tests for the binary frame codecs (fast-check): round trips, and decoding never throws anything but BabelcastError. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BabelcastError } from './error-codes.ts';
import {
  decodeListenerAudioPacket,
  decodeSpeakerAudioFrame,
  encodeListenerAudioPacket,
  encodeSpeakerAudioFrame,
  LISTENER_AUDIO_HEADER_BYTES,
  type ListenerAudioPacket,
  SPEAKER_AUDIO_HEADER_BYTES,
  SPEAKER_AUDIO_MAX_FRAME_BYTES,
  SPEAKER_AUDIO_MAX_SAMPLES,
} from './frames.ts';

const u32 = fc.integer({ min: 0, max: 0xffffffff });

const speakerFrame = fc.record({
  seq: u32,
  captureTimeMs: fc.double({ noNaN: true, noDefaultInfinity: true }),
  samples: fc
    .array(fc.integer({ min: -32768, max: 32767 }), { minLength: 1, maxLength: SPEAKER_AUDIO_MAX_SAMPLES })
    .map((a) => Int16Array.from(a)),
});

const listenerPacket: fc.Arbitrary<ListenerAudioPacket> = fc.record(
  {
    seq: u32,
    segmentId: u32,
    packetIndex: u32,
    offsetMs: u32,
    mediaStartMs: u32,
    mediaEndMs: u32,
    sampleRate: u32,
    frameDurationMs: fc.integer({ min: 0, max: 255 }),
    // Bit 4 (VOICE) is the codec's own: set when, and only when, a voice id follows the frames.
    flags: fc.integer({ min: 0, max: 255 }).map((f) => f & ~4),
    language: fc.stringMatching(/^[a-z]{2,3}(-[A-Za-z0-9]{2,4})?$/).filter((s) => s.length <= 8),
    frames: fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 50 }),
    voice: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,63}$/),
  },
  {
    requiredKeys: [
      'seq',
      'segmentId',
      'packetIndex',
      'offsetMs',
      'mediaStartMs',
      'mediaEndMs',
      'sampleRate',
      'frameDurationMs',
      'flags',
      'language',
      'frames',
    ],
  },
);

/** Runs `decode` and fails unless it returns or throws a BabelcastError. */
function decodesOrRefuses(decode: (b: Uint8Array) => unknown, bytes: Uint8Array): void {
  try {
    decode(bytes);
  } catch (err) {
    if (!(err instanceof BabelcastError)) throw err;
  }
}

describe('speaker audio frame codec (properties)', () => {
  it('round-trips every valid frame', () => {
    fc.assert(
      fc.property(speakerFrame, (frame) => {
        const bytes = encodeSpeakerAudioFrame(frame);
        expect(bytes.byteLength).toBe(SPEAKER_AUDIO_HEADER_BYTES + frame.samples.length * 2);
        const back = decodeSpeakerAudioFrame(bytes);
        expect(back.seq).toBe(frame.seq);
        expect(Object.is(back.captureTimeMs, frame.captureTimeMs)).toBe(true);
        expect(back.samples).toEqual(frame.samples);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes a frame at any byte offset of a larger buffer', () => {
    fc.assert(
      fc.property(speakerFrame, fc.nat(16), (frame, pad) => {
        const bytes = encodeSpeakerAudioFrame(frame);
        const big = new Uint8Array(pad + bytes.byteLength + 3);
        big.set(bytes, pad);
        expect(decodeSpeakerAudioFrame(big.subarray(pad, pad + bytes.byteLength)).samples).toEqual(
          frame.samples,
        );
      }),
      { numRuns: 100 },
    );
  });

  it('never throws anything but BabelcastError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: SPEAKER_AUDIO_MAX_FRAME_BYTES + 64 }), (bytes) =>
        decodesOrRefuses(decodeSpeakerAudioFrame, bytes),
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws anything but BabelcastError on a valid frame with corrupted bytes', () => {
    fc.assert(
      fc.property(
        speakerFrame,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: -20, max: 20 }),
        (frame, flips, resize) => {
          const valid = encodeSpeakerAudioFrame(frame);
          const bytes = new Uint8Array(Math.max(0, valid.byteLength + resize));
          bytes.set(valid.subarray(0, bytes.byteLength));
          for (const [at, value] of flips) if (bytes.byteLength > 0) bytes[at % bytes.byteLength] = value;
          decodesOrRefuses(decodeSpeakerAudioFrame, bytes);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('listener audio packet codec (properties)', () => {
  it('round-trips every valid packet', () => {
    fc.assert(
      fc.property(listenerPacket, (p) => {
        const back = decodeListenerAudioPacket(encodeListenerAudioPacket(p));
        expect({ ...back, frames: back.frames.map((f) => Array.from(f)) }).toEqual({
          ...p,
          frames: p.frames.map((f) => Array.from(f)),
        });
      }),
      { numRuns: 300 },
    );
  });

  it('never throws anything but BabelcastError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) =>
        decodesOrRefuses(decodeListenerAudioPacket, bytes),
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws anything but BabelcastError on a valid packet with corrupted bytes', () => {
    fc.assert(
      fc.property(
        listenerPacket,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: -LISTENER_AUDIO_HEADER_BYTES, max: 20 }),
        (p, flips, resize) => {
          const valid = encodeListenerAudioPacket(p);
          const bytes = new Uint8Array(Math.max(0, valid.byteLength + resize));
          bytes.set(valid.subarray(0, bytes.byteLength));
          // Kind and version stay intact so the decoder gets past them (random bytes above cover those).
          for (const [at, value] of flips)
            if (bytes.byteLength > 2) bytes[2 + (at % (bytes.byteLength - 2))] = value;
          decodesOrRefuses(decodeListenerAudioPacket, bytes);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
