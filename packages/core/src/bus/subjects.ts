/**
 * The subjects a session's two halves meet on, one per direction, each with its own message type:
 *
 * | subject                  | direction          | carries                                           |
 * |--------------------------|--------------------|---------------------------------------------------|
 * | `session.<id>.audio`     | gateway → worker   | speaker frames (seq, capture time, PCM), in order |
 * | `session.<id>.out`       | worker → gateways  | captions, drafts, audio packets, notices, lag     |
 * | `session.<id>.state`     | worker → gateways  | session state, ASR backlog high/low, ended        |
 * | `session.<id>.demand.<g>`| gateway g → worker | the languages g's listeners hear now (latest)     |
 *
 * `subjects.output(id)` is a typed handle, so `bus.publish(subjects.output(id), message)` only
 * compiles with an output message, and a subscriber gets exactly its subject's type: nobody has to
 * filter out the other direction's messages.
 */
import type {
  CaptionEvent,
  DraftEvent,
  ListenerAudioPacket,
  NoticeMessage,
  SessionState,
} from '@babelcast/protocol';

/** One speaker frame the gateway accepted (duplicates already dropped), for the session's worker. */
export interface SpeakerFrame {
  type: 'frame';
  /** The speaker client's seq: +1 per frame, never reused within a session. */
  seq: number;
  /** Capture time of the first sample, speaker's clock, ms since the epoch. */
  captureTimeMs: number;
  /** 16 kHz mono PCM16. */
  samples: Int16Array;
}

/**
 * What the pipeline produces for listeners and the speaker's page. Audio packets carry their
 * voice in `packet.voice` (absent: the language's default voice); a notice with `voice` is about
 * that voice only (it goes to its listeners).
 */
export type SessionOutput =
  | { type: 'caption'; event: CaptionEvent }
  | { type: 'audio'; packet: ListenerAudioPacket }
  | { type: 'notice'; notice: NoticeMessage; voice?: string }
  | { type: 'draft'; event: DraftEvent }
  /**
   * Lag behind the speaker for one language (see LagMessage); either figure may be absent.
   * `voice`: which voice `voiceMs` is of (absent: the default voice, or a worker older than voices).
   */
  | { type: 'lag'; lang: string; textMs?: number; voiceMs?: number; voice?: string };

/** What the worker tells gateways about the session itself. */
export type SessionEvent =
  | {
      type: 'state';
      state: SessionState;
      /**
       * The last speaker frame the gateway accepted before the change: a worker processes every
       * frame up to it before it flushes for a pause or an end.
       */
      lastAudioSeq?: number | null;
      /** Why a session is paused: after `idle` or `shutdown` the worker releases the pipeline. */
      reason?: 'speaker' | 'idle' | 'shutdown';
    }
  /**
   * Speech waiting for the recogniser: `high` when it is above the limit (the gateway stops
   * reading the speaker's socket), `low` once it has fallen back to half of it (reading resumes).
   */
  | { type: 'backlog'; level: 'high' | 'low'; seconds: number }
  /**
   * A worker took the session over and recognises again the speech since its predecessor's last
   * acknowledged frame: gateways drop what they already delivered of it.
   */
  | { type: 'resumed'; worker: string }
  /** The session ended: gateways close its sockets. Final. */
  | { type: 'ended' };

/** The language's default voice in a demand: what a listener who chose none hears. */
export const DEFAULT_VOICE_ID = '';

/**
 * What one gateway tells the pipeline: which target languages have at least one listener there
 * now, and which of their voices. Each gateway has its own key; the worker produces the union of
 * the fresh ones. A gateway repeats its demand every DEMAND_REFRESH_MS, so the demand of a gateway
 * that died goes stale and stops counting after DEMAND_STALE_MS.
 */
export interface LanguageDemand {
  type: 'demand';
  languages: string[];
  /**
   * The voices heard per language (`DEFAULT_VOICE_ID`, '', for the default one), each language of
   * `languages` listed. A language missing here (a gateway older than voices) is heard in its
   * default voice only. A worker counts only voices its voice engine offers for the language.
   */
  voices?: Record<string, string[]>;
  /** The gateway's id (a subject token). */
  gateway: string;
  /** When the gateway said it, ms since the epoch. */
  at: number;
}

export const DEMAND_REFRESH_MS = 10_000;
export const DEMAND_STALE_MS = 35_000;

/** Message type of each subject kind. */
export interface SubjectMessages {
  audio: SpeakerFrame;
  output: SessionOutput;
  state: SessionEvent;
  demand: LanguageDemand;
}

export type SubjectKind = keyof SubjectMessages;

/**
 * How a bus keeps each kind:
 * - `stream`: durable and replayable (a worker that takes over resumes after the last frame its
 *   predecessor acknowledged);
 * - `plain`: delivered to whoever is subscribed now, never stored;
 * - `latest`: the last value is kept, and a new subscriber gets it first; values published in
 *   quick succession may reach a subscriber coalesced (never out of order, the last always).
 */
export const SUBJECT_RETENTION = {
  audio: 'stream',
  output: 'plain',
  state: 'plain',
  demand: 'latest',
} as const satisfies Record<SubjectKind, 'stream' | 'plain' | 'latest'>;

export interface Subject<K extends SubjectKind = SubjectKind> {
  readonly kind: K;
  readonly sessionId: string;
  /** Dot-separated and NATS-shaped: `session.<id>.<suffix>`; may end in the wildcard `*`. */
  readonly name: string;
  /** True when `name` ends in `*`: subscribe only (every gateway's demand), never publish. */
  readonly wildcard?: boolean;
}

export type MessageOf<K extends SubjectKind> = SubjectMessages[K];

const SUFFIX: Record<SubjectKind, string> = {
  audio: 'audio',
  output: 'out',
  state: 'state',
  demand: 'demand',
};

/** Session ids become one subject token (and a JetStream consumer name, a KV key): no dots or wildcards. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

function subject<K extends SubjectKind>(kind: K, sessionId: string, token?: string): Subject<K> {
  if (!SAFE_ID.test(sessionId))
    throw new RangeError(`session id not usable as a subject token: ${sessionId}`);
  if (token === undefined) return { kind, sessionId, name: `session.${sessionId}.${SUFFIX[kind]}` };
  if (token !== '*' && !SAFE_ID.test(token)) throw new RangeError(`not usable as a subject token: ${token}`);
  return {
    kind,
    sessionId,
    name: `session.${sessionId}.${SUFFIX[kind]}.${token}`,
    ...(token === '*' ? { wildcard: true } : {}),
  };
}

export const subjects = {
  audio: (sessionId: string): Subject<'audio'> => subject('audio', sessionId),
  output: (sessionId: string): Subject<'output'> => subject('output', sessionId),
  state: (sessionId: string): Subject<'state'> => subject('state', sessionId),
  /** One gateway's demand for the session (it publishes here). */
  demand: (sessionId: string, gatewayId: string): Subject<'demand'> =>
    subject('demand', sessionId, gatewayId),
  /** Every gateway's demand for the session (the worker subscribes here). */
  allDemand: (sessionId: string): Subject<'demand'> => subject('demand', sessionId, '*'),
};

/** Does a concrete subject name fall under `pattern` (whose last token may be `*`)? */
export function subjectMatches(pattern: string, name: string): boolean {
  if (!pattern.endsWith('.*')) return pattern === name;
  const stem = pattern.slice(0, -1);
  return name.startsWith(stem) && !name.slice(stem.length).includes('.');
}
