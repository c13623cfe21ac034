import { describe, expect, it } from 'vitest';
import { BabelcastError, ErrorCode } from './error-codes.ts';
import {
  AudioPacketFlag,
  decodeListenerAudioPacket,
  decodeSpeakerAudioFrame,
  encodeListenerAudioPacket,
  encodeSpeakerAudioFrame,
  type ListenerAudioPacket,
  SPEAKER_AUDIO_MAX_FRAME_BYTES,
} from './frames.ts';

describe('speaker audio frames', () => {
  it('round-trips seq, timestamp and samples', () => {
    const samples = Int16Array.from([0, 1, -1, 32767, -32768]);
    const bytes = encodeSpeakerAudioFrame({ seq: 42, captureTimeMs: 1_700_000_000_123.5, samples });
    expect(bytes.byteLength).toBe(16 + 10);
    const back = decodeSpeakerAudioFrame(bytes);
    expect(back.seq).toBe(42);
    expect(back.captureTimeMs).toBe(1_700_000_000_123.5);
    expect(Array.from(back.samples)).toEqual(Array.from(samples));
  });

  it.each([
    ['too short', new Uint8Array(10), ErrorCode.BAD_FRAME],
    [
      'odd payload',
      (() => {
        const b = encodeSpeakerAudioFrame({ seq: 1, captureTimeMs: 0, samples: new Int16Array(4) });
        return b.subarray(0, b.byteLength - 1);
      })(),
      ErrorCode.BAD_FRAME,
    ],
    [
      'wrong kind',
      (() => {
        const b = encodeSpeakerAudioFrame({ seq: 1, captureTimeMs: 0, samples: new Int16Array(4) });
        b[0] = 0x7f;
        return b;
      })(),
      ErrorCode.BAD_FRAME,
    ],
    ['oversized', new Uint8Array(SPEAKER_AUDIO_MAX_FRAME_BYTES + 2), ErrorCode.PAYLOAD_TOO_LARGE],
  ])('rejects a frame that is %s with a stable code', (_name, bytes, code) => {
    try {
      decodeSpeakerAudioFrame(bytes);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BabelcastError);
      expect((err as BabelcastError).code).toBe(code);
    }
  });
});

describe('listener audio packets', () => {
  /** Every header field set to a value of its own, and two frames of different lengths. */
  const packet: ListenerAudioPacket = {
    seq: 7,
    segmentId: 3,
    packetIndex: 2,
    offsetMs: 400,
    mediaStartMs: 0,
    mediaEndMs: 1000,
    sampleRate: 24000,
    frameDurationMs: 20,
    language: 'pt-BR',
    flags: 2,
    frames: [Uint8Array.from([1, 2, 3]), Uint8Array.from([9])],
  };

  it('round-trips header fields and frames', () => {
    const { frames, ...header } = decodeListenerAudioPacket(encodeListenerAudioPacket(packet));
    const { frames: _sent, ...sentHeader } = packet;
    expect(header).toEqual(sentHeader);
    expect(frames.map((f) => Array.from(f))).toEqual([[1, 2, 3], [9]]);
  });

  it('rejects a truncated packet', () => {
    const bytes = encodeListenerAudioPacket({ ...packet, frames: [new Uint8Array(50)] });
    expect(() => decodeListenerAudioPacket(bytes.subarray(0, 60))).toThrow(/truncated/);
  });

  it('carries a voice id after the frames, which a decoder that predates it ignores', () => {
    const plain = encodeListenerAudioPacket({ ...packet, flags: 1 });
    const tagged = encodeListenerAudioPacket({ ...packet, flags: 1, voice: 'pico:es-ES' });
    expect(tagged.byteLength).toBe(plain.byteLength + 1 + 'pico:es-ES'.length);
    // The same header and frames, the VOICE flag set, the id after the frames.
    expect(tagged[2]).toBe(1 | AudioPacketFlag.VOICE);
    expect(Array.from(tagged.subarray(3, plain.byteLength))).toEqual(Array.from(plain.subarray(3)));
    const back = decodeListenerAudioPacket(tagged);
    expect(back.voice).toBe('pico:es-ES');
    expect(back.flags).toBe(1);
    expect(decodeListenerAudioPacket(plain).voice).toBeUndefined();
    expect(() => decodeListenerAudioPacket(tagged.subarray(0, tagged.byteLength - 3))).toThrow(/voice/);
  });
});
