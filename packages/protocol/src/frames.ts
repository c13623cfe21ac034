/**
 * Binary WebSocket frames. JSON carries control and captions; audio goes as binary so that a
 * 100 ms PCM frame costs 3.2 kB, not 10 kB of base64, and so that the server can build an audio
 * frame once and send the same bytes to every listener of a language.
 *
 * All integers are little-endian (what every browser and x86/ARM host uses natively).
 */
import { BabelcastError, ErrorCode } from './error-codes.ts';

export const FrameKind = { SPEAKER_AUDIO: 0x01, LISTENER_AUDIO: 0x02 } as const;
export const FRAME_VERSION = 1;

/** Speaker audio is always 16 kHz mono PCM16LE: what every ASR engine here wants, no resampling. */
export const SPEAKER_SAMPLE_RATE = 16_000;
export const SPEAKER_AUDIO_HEADER_BYTES = 16;
/** At most one second per frame: bounds memory per message and keeps acknowledgements frequent. */
export const SPEAKER_AUDIO_MAX_SAMPLES = SPEAKER_SAMPLE_RATE;
export const SPEAKER_AUDIO_MAX_FRAME_BYTES = SPEAKER_AUDIO_HEADER_BYTES + SPEAKER_AUDIO_MAX_SAMPLES * 2;
/**
 * Highest speaker seq a server accepts. seq does not wrap: 2^31 frames of 100 ms last 6.8 years.
 * The u32 field's upper half is refused so that a client's -1 or overflow cannot look like a seq.
 */
export const SPEAKER_SEQ_MAX = 0x7fffffff;

export interface SpeakerAudioFrame {
  /** Per-connection-independent sequence number chosen by the speaker client; +1 per frame. */
  seq: number;
  /** Capture time of the first sample, speaker's wall clock, ms since the Unix epoch. */
  captureTimeMs: number;
  /** 16 kHz mono samples. */
  samples: Int16Array;
}

/**
 * Layout (16-byte header, then samples):
 *   0  u8   kind = 0x01
 *   1  u8   version = 1
 *   2  u16  reserved, 0
 *   4  u32  seq
 *   8  f64  captureTimeMs
 *   16 i16[] PCM samples, 16 kHz mono
 */
export function encodeSpeakerAudioFrame(frame: SpeakerAudioFrame): Uint8Array {
  const out = new Uint8Array(SPEAKER_AUDIO_HEADER_BYTES + frame.samples.length * 2);
  const view = new DataView(out.buffer);
  view.setUint8(0, FrameKind.SPEAKER_AUDIO);
  view.setUint8(1, FRAME_VERSION);
  view.setUint16(2, 0, true);
  view.setUint32(4, frame.seq >>> 0, true);
  view.setFloat64(8, frame.captureTimeMs, true);
  for (let i = 0; i < frame.samples.length; i++) view.setInt16(16 + i * 2, frame.samples[i]!, true);
  return out;
}

export function decodeSpeakerAudioFrame(data: Uint8Array): SpeakerAudioFrame {
  if (data.byteLength < SPEAKER_AUDIO_HEADER_BYTES + 2) {
    throw new BabelcastError(ErrorCode.BAD_FRAME, `audio frame too short (${data.byteLength} bytes)`);
  }
  if (data.byteLength > SPEAKER_AUDIO_MAX_FRAME_BYTES) {
    throw new BabelcastError(
      ErrorCode.PAYLOAD_TOO_LARGE,
      `audio frame of ${data.byteLength} bytes exceeds ${SPEAKER_AUDIO_MAX_FRAME_BYTES}`,
    );
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const kind = view.getUint8(0);
  if (kind !== FrameKind.SPEAKER_AUDIO) {
    throw new BabelcastError(ErrorCode.BAD_FRAME, `unknown frame kind 0x${kind.toString(16)}`);
  }
  const version = view.getUint8(1);
  if (version !== FRAME_VERSION) {
    throw new BabelcastError(ErrorCode.BAD_FRAME, `unsupported frame version ${version}`);
  }
  const payloadBytes = data.byteLength - SPEAKER_AUDIO_HEADER_BYTES;
  if (payloadBytes % 2 !== 0) {
    throw new BabelcastError(ErrorCode.BAD_FRAME, 'PCM16 payload has an odd number of bytes');
  }
  const captureTimeMs = view.getFloat64(8, true);
  if (!Number.isFinite(captureTimeMs)) {
    throw new BabelcastError(ErrorCode.BAD_FRAME, 'capture timestamp is not a finite number');
  }
  const samples = new Int16Array(payloadBytes / 2);
  for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(16 + i * 2, true);
  return { seq: view.getUint32(4, true), captureTimeMs, samples };
}

/**
 * Version 2 added the span of the speaker's audio a packet voices (`mediaStartMs`/`mediaEndMs`):
 * in simultaneous mode a segment is voiced chunk by chunk, and a player or a latency meter needs
 * to know which moment of speech it is hearing.
 */
export const LISTENER_FRAME_VERSION = 2;
export const LISTENER_AUDIO_HEADER_BYTES = 42;
/**
 * `VOICE`: the packet ends with its voice id (u8 length, ASCII), after the frames. Used between a
 * worker and the gateways, where several voices of one language travel on one subject; the
 * gateways send listeners only their voice's packets, without it.
 */
export const AudioPacketFlag = { SEGMENT_START: 1, SEGMENT_END: 2, VOICE: 4 } as const;
/** Longest voice id a packet carries (the protocol's voiceId is bounded the same). */
export const MAX_VOICE_ID_BYTES = 64;

export interface ListenerAudioPacket {
  /** Session-wide event sequence number (same space as caption `seq`). */
  seq: number;
  segmentId: number;
  /** 0, 1, 2… within the segment's audio in this language; a gap means packets were dropped. */
  packetIndex: number;
  /** Position of the first frame within the segment's synthesized audio, ms. */
  offsetMs: number;
  /** Span of the speaker's audio (ms since the session's first sample) that this voice chunk translates. */
  mediaStartMs: number;
  mediaEndMs: number;
  sampleRate: number;
  frameDurationMs: number;
  language: string;
  flags: number;
  /** One Opus packet per frame, in order. */
  frames: Uint8Array[];
  /** Which of the language's voices this is; absent = the language's default voice. */
  voice?: string;
}

/**
 * Layout (42-byte header, then frames):
 *   0  u8   kind = 0x02
 *   1  u8   version = 2
 *   2  u8   flags (1 = first packet of segment, 2 = last packet of segment)
 *   3  u8   frameDurationMs (20)
 *   4  u32  seq
 *   8  u32  segmentId
 *   12 u32  packetIndex
 *   16 u32  offsetMs
 *   20 u32  sampleRate (24000)
 *   24 u8[8] language, ASCII, NUL-padded
 *   32 u32  mediaStartMs
 *   36 u32  mediaEndMs
 *   40 u16  frameCount
 *   42 frameCount × (u16 length, bytes)
 *   then, when flags has VOICE (4): u8 length, the voice id in ASCII
 * Decoders that predate the voice ignore the trailer (and the flag).
 */
export function encodeListenerAudioPacket(p: ListenerAudioPacket): Uint8Array {
  const voice = p.voice ?? '';
  if (voice.length > MAX_VOICE_ID_BYTES) throw new RangeError(`voice id too long: ${voice}`);
  const framesBytes = p.frames.reduce((n, f) => n + 2 + f.byteLength, 0);
  const size = LISTENER_AUDIO_HEADER_BYTES + framesBytes + (voice ? 1 + voice.length : 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint8(0, FrameKind.LISTENER_AUDIO);
  view.setUint8(1, LISTENER_FRAME_VERSION);
  view.setUint8(2, voice ? p.flags | AudioPacketFlag.VOICE : p.flags & ~AudioPacketFlag.VOICE);
  view.setUint8(3, p.frameDurationMs);
  view.setUint32(4, p.seq >>> 0, true);
  view.setUint32(8, p.segmentId >>> 0, true);
  view.setUint32(12, p.packetIndex >>> 0, true);
  view.setUint32(16, Math.max(0, Math.round(p.offsetMs)) >>> 0, true);
  view.setUint32(20, p.sampleRate, true);
  if (p.language.length > 8) throw new RangeError(`language code too long: ${p.language}`);
  for (let i = 0; i < p.language.length; i++) view.setUint8(24 + i, p.language.charCodeAt(i) & 0x7f);
  view.setUint32(32, Math.max(0, Math.round(p.mediaStartMs)) >>> 0, true);
  view.setUint32(36, Math.max(0, Math.round(p.mediaEndMs)) >>> 0, true);
  view.setUint16(40, p.frames.length, true);
  let at = LISTENER_AUDIO_HEADER_BYTES;
  for (const f of p.frames) {
    view.setUint16(at, f.byteLength, true);
    out.set(f, at + 2);
    at += 2 + f.byteLength;
  }
  if (voice) {
    view.setUint8(at, voice.length);
    for (let i = 0; i < voice.length; i++) view.setUint8(at + 1 + i, voice.charCodeAt(i) & 0x7f);
  }
  return out;
}

export function decodeListenerAudioPacket(data: Uint8Array): ListenerAudioPacket {
  if (data.byteLength < LISTENER_AUDIO_HEADER_BYTES) {
    throw new BabelcastError(ErrorCode.BAD_FRAME, 'audio packet too short');
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint8(0) !== FrameKind.LISTENER_AUDIO || view.getUint8(1) !== LISTENER_FRAME_VERSION) {
    throw new BabelcastError(
      ErrorCode.BAD_FRAME,
      `not a version-${LISTENER_FRAME_VERSION} listener audio packet`,
    );
  }
  let language = '';
  for (let i = 24; i < 32; i++) {
    const c = view.getUint8(i);
    if (c === 0) break;
    language += String.fromCharCode(c);
  }
  const frameCount = view.getUint16(40, true);
  const frames: Uint8Array[] = [];
  let at = LISTENER_AUDIO_HEADER_BYTES;
  for (let i = 0; i < frameCount; i++) {
    if (at + 2 > data.byteLength) throw new BabelcastError(ErrorCode.BAD_FRAME, 'truncated audio packet');
    const len = view.getUint16(at, true);
    if (at + 2 + len > data.byteLength)
      throw new BabelcastError(ErrorCode.BAD_FRAME, 'truncated audio packet');
    frames.push(data.subarray(at + 2, at + 2 + len));
    at += 2 + len;
  }
  const flags = view.getUint8(2);
  let voice: string | undefined;
  if (flags & AudioPacketFlag.VOICE) {
    const len = at < data.byteLength ? view.getUint8(at) : 0;
    if (len === 0 || at + 1 + len > data.byteLength)
      throw new BabelcastError(ErrorCode.BAD_FRAME, 'truncated voice id in audio packet');
    voice = '';
    for (let i = 0; i < len; i++) voice += String.fromCharCode(view.getUint8(at + 1 + i));
  }
  return {
    flags: flags & ~AudioPacketFlag.VOICE,
    frameDurationMs: view.getUint8(3),
    seq: view.getUint32(4, true),
    segmentId: view.getUint32(8, true),
    packetIndex: view.getUint32(12, true),
    offsetMs: view.getUint32(16, true),
    mediaStartMs: view.getUint32(32, true),
    mediaEndMs: view.getUint32(36, true),
    sampleRate: view.getUint32(20, true),
    language,
    frames,
    ...(voice !== undefined && { voice }),
  };
}
