/**
 * Wire format of each subject kind on NATS:
 * - audio: the speaker frame exactly as the speaker's page sent it (protocol frames.ts, kind 0x01);
 * - output: an audio packet as listeners receive it (kind 0x02), anything else as JSON (`{`…);
 * - state, demand: JSON.
 * Binary stays binary (no base64), and a gateway could forward packet bytes as they are.
 */
import type { MessageOf, SessionOutput, SubjectKind } from '@babelcast/core';
import {
  decodeListenerAudioPacket,
  decodeSpeakerAudioFrame,
  encodeListenerAudioPacket,
  encodeSpeakerAudioFrame,
  FrameKind,
} from '@babelcast/protocol';

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export function encodeMessage<K extends SubjectKind>(kind: K, message: MessageOf<K>): Uint8Array {
  if (kind === 'audio') {
    const { seq, captureTimeMs, samples } = message as MessageOf<'audio'>;
    return encodeSpeakerAudioFrame({ seq, captureTimeMs, samples });
  }
  if (kind === 'output' && (message as SessionOutput).type === 'audio')
    return encodeListenerAudioPacket((message as Extract<SessionOutput, { type: 'audio' }>).packet);
  return utf8.encode(JSON.stringify(message));
}

export function decodeMessage<K extends SubjectKind>(kind: K, data: Uint8Array): MessageOf<K> {
  if (kind === 'audio') {
    const frame = decodeSpeakerAudioFrame(data);
    return { type: 'frame', ...frame } as MessageOf<K>;
  }
  if (kind === 'output' && data[0] === FrameKind.LISTENER_AUDIO) {
    // Own copy: the Opus frames are views into it, and the client may reuse its read buffer.
    return { type: 'audio', packet: decodeListenerAudioPacket(new Uint8Array(data)) } as MessageOf<K>;
  }
  return JSON.parse(fromUtf8.decode(data)) as MessageOf<K>;
}
