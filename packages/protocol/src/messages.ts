/**
 * JSON messages on the speaker and listener WebSockets, as zod schemas (the runtime check) with
 * their inferred types (the compile-time contract). Every message has a `type`.
 */
import { z } from 'zod';

/** Language code: ISO 639-1, optionally with a region (`pt-BR`). Kept short: it goes into binary headers. */
export const languageCode = z
  .string()
  .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,4})?$/, 'expected a language code such as "es" or "pt-BR"')
  .max(8);

/**
 * A voice id, as `GET /api/languages` lists it per language (`pico:es-ES`, `rhvoice:slt`,
 * `espeak-ng`). Bounded: it is echoed back and becomes part of a demand on the bus.
 */
export const voiceId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:+-]*$/, 'expected a voice id such as "pico:es-ES"');

export const sessionState = z.enum(['created', 'live', 'paused', 'ended']);
export type SessionState = z.infer<typeof sessionState>;

/**
 * Session ids: `faithful-angel-590-318-442` (about 42 bits of entropy) since the hardening; the
 * short form `faithful-angel-590` of older stores is still accepted.
 */
export const SESSION_ID_PATTERN = /^[a-z]{2,12}-[a-z]{2,12}-\d{3}(?:-\d{3}-\d{3})?$/;
export const sessionId = z
  .string()
  .max(40)
  .regex(SESSION_ID_PATTERN, 'expected a session id such as "faithful-angel-590-318-442"');

export const listenerCounts = z.record(z.string(), z.number().int().nonnegative());
export type ListenerCounts = z.infer<typeof listenerCounts>;

export const sessionInfo = z.object({
  id: z.string(),
  title: z.string().nullable(),
  sourceLanguage: languageCode,
  state: sessionState,
  createdAt: z.string(),
  joinUrl: z.string(),
  /** Target languages listeners may choose, given the source language and the engines. */
  targetLanguages: z.array(languageCode),
  listeners: listenerCounts,
});
export type SessionInfo = z.infer<typeof sessionInfo>;

/**
 * What anybody holding the join link is told about a session: what a listener needs to pick a
 * language and follow the state. Creation time and listener counts are for the owner and operators.
 */
export const publicSessionInfo = sessionInfo.pick({
  id: true,
  title: true,
  sourceLanguage: true,
  state: true,
  joinUrl: true,
  targetLanguages: true,
});
export type PublicSessionInfo = z.infer<typeof publicSessionInfo>;

export const captionKind = z.enum(['partial', 'final', 'translation']);
export type CaptionKind = z.infer<typeof captionKind>;

/**
 * A caption event. `partial` and `final` carry source-language text, `translation` carries text in
 * `lang`. `mediaStartMs`/`mediaEndMs` are positions in the speaker's audio stream (ms since the
 * session's first sample), so captions line up with audio and with exported subtitles.
 */
export const captionEvent = z.object({
  type: z.literal('caption'),
  kind: captionKind,
  seq: z.number().int().nonnegative(),
  segmentId: z.number().int().nonnegative(),
  lang: languageCode,
  text: z.string(),
  mediaStartMs: z.number(),
  mediaEndMs: z.number(),
  /** Server wall-clock time the event was produced (ms since epoch). */
  emittedAt: z.number(),
  /** Present and true when the event is a replay of history (join/reconnect/language switch). */
  replay: z.boolean().optional(),
});
export type CaptionEvent = z.infer<typeof captionEvent>;

/**
 * A translated draft of the part of a segment that is not committed yet (simultaneous mode). It is
 * replaced by the next draft, and the part it covers is eventually replaced by `translation`
 * captions. The line a listener shows for a segment = its `translation`s so far + the latest
 * `draft` received after the last of them. `mediaEndMs` is the end of the speaker audio the draft
 * covers (the end of its last stable word), so lag behind speech can be measured from it.
 *
 * `segment` is the field name of the replay contract; `segmentId` carries the same number so a
 * client can treat drafts and captions alike. Drafts are never replayed from history.
 */
export const draftEvent = z.object({
  type: z.literal('draft'),
  lang: languageCode,
  segment: z.number().int().nonnegative(),
  segmentId: z.number().int().nonnegative(),
  seq: z.number().int().nonnegative(),
  text: z.string(),
  mediaStartMs: z.number(),
  mediaEndMs: z.number(),
  emittedAt: z.number(),
});
export type DraftEvent = z.infer<typeof draftEvent>;

const ping = z.object({ type: z.literal('ping'), t: z.number().optional() });

// ---------- speaker → server ----------

export const speakerHello = z.object({
  type: z.literal('hello'),
  protocol: z.number().int(),
  /** Bearer token (JWT or API token). Sent in the first message so it never appears in a URL. */
  token: z.string().max(8192).optional(),
});
export const speakerInputStats = z.object({
  type: z.literal('inputStats'),
  rmsDbfs: z.number().min(-200).max(10),
  peakDbfs: z.number().min(-200).max(10),
  snrDb: z.number().min(-100).max(200).nullable(),
  clipping: z.boolean(),
});
export const speakerClientMessage = z.discriminatedUnion('type', [
  speakerHello,
  z.object({ type: z.literal('pause') }),
  z.object({ type: z.literal('resume') }),
  z.object({ type: z.literal('end') }),
  speakerInputStats,
  ping,
]);
export type SpeakerClientMessage = z.infer<typeof speakerClientMessage>;
export type SpeakerInputStats = z.infer<typeof speakerInputStats>;

// ---------- listener → server ----------

/**
 * `voice` (optional, in `hello` and `setLanguage`): which of the language's voices speaks to this
 * listener; absent = the language's default voice (the first `GET /api/languages` lists).
 */
export const listenerClientMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    protocol: z.number().int(),
    token: z.string().max(8192).optional(),
    voice: voiceId.optional(),
  }),
  z.object({ type: z.literal('setLanguage'), targetLanguage: languageCode, voice: voiceId.optional() }),
  /** Ask for history after `since` (a seq the client already has), e.g. after a network blip. */
  z.object({ type: z.literal('replay'), since: z.number().int().min(-1) }),
  ping,
]);
export type ListenerClientMessage = z.infer<typeof listenerClientMessage>;

// ---------- server → clients ----------

export interface ErrorMessage {
  type: 'error';
  code: string;
  message: string;
}
export interface StateMessage {
  type: 'state';
  state: SessionState;
}
export interface ListenersMessage {
  type: 'listeners';
  counts: ListenerCounts;
  total: number;
}
/** Something the listener should know but which is not an error: e.g. a sentence skipped after an engine failure. */
export interface NoticeMessage {
  type: 'notice';
  code: string;
  message: string;
  segmentId?: number;
  lang?: string;
}
export interface PongMessage {
  type: 'pong';
  t?: number;
  serverTime: number;
}

export interface SpeakerReadyMessage {
  type: 'ready';
  protocol: number;
  session: SessionInfo;
  /** Highest audio seq the server has accepted, or null if none: resend everything after it. */
  lastSeq: number | null;
}
export interface SpeakerAckMessage {
  type: 'ack';
  /** Cumulative: every frame up to and including this seq has been accepted. */
  seq: number;
}
/**
 * How far each language's listeners are behind the speaker, as the speaker page shows it. Both are
 * measured from when the speaker's audio reached the server (not from the end of an utterance):
 * `textMs` = when the newest draft or translation was published minus when the last audio it
 * covers arrived; `voiceMs` = when a listener playing the voice in order will hear a chunk minus
 * when its audio arrived. Each message carries the languages that changed.
 */
export interface LagMessage {
  type: 'lag';
  textMs: Record<string, number>;
  voiceMs: Record<string, number>;
}
export type SpeakerServerMessage =
  | SpeakerReadyMessage
  | SpeakerAckMessage
  | StateMessage
  | CaptionEvent
  | ListenersMessage
  | LagMessage
  | NoticeMessage
  | ErrorMessage
  | PongMessage;

export interface ListenerWelcomeMessage {
  type: 'welcome';
  protocol: number;
  /** The full SessionInfo for the session's owner or an operator, the public part for anybody else. */
  session: PublicSessionInfo | SessionInfo;
  targetLanguage: string;
  /**
   * The voice speaking to this listener (its choice, else the language's default); absent when
   * the language has no voice or its engine names none.
   */
  voice?: string;
  /** True when a valid speaker/user token was presented; listening never depends on it. */
  authenticated: boolean;
  /** Latest seq the session has produced so far. */
  seq: number;
  /** How binary audio packets are encoded ("opus"; "pcm16" with test engines). */
  audio: { codec: 'opus' | 'pcm16'; sampleRate: number; frameDurationMs: number };
}
/** A switch of language or voice took effect: audio after this message is in the new voice. */
export interface LanguageChangedMessage {
  type: 'languageChanged';
  targetLanguage: string;
  /** As in `welcome`. */
  voice?: string;
}
export type ListenerServerMessage =
  | ListenerWelcomeMessage
  | LanguageChangedMessage
  | StateMessage
  | CaptionEvent
  | DraftEvent
  | ListenersMessage
  | NoticeMessage
  | ErrorMessage
  | PongMessage;

/** Largest JSON control message a client may send. Audio is binary and has its own limit. */
export const MAX_CONTROL_MESSAGE_BYTES = 16 * 1024;
