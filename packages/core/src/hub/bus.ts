/**
 * The message bus between a session's pipeline (producer) and the gateways that hold listener
 * sockets (consumers). In one process it is a synchronous in-memory fan-out; the interface is what
 * a NATS JetStream implementation provides when pipeline workers and gateways run on different
 * machines. Subjects are dot-separated (`session.<id>.out`), as in NATS.
 */
import type {
  CaptionEvent,
  DraftEvent,
  ListenerAudioPacket,
  NoticeMessage,
  SessionState,
} from '@babelcast/protocol';

export type SessionOutput =
  | { type: 'caption'; event: CaptionEvent }
  | { type: 'audio'; packet: ListenerAudioPacket }
  | { type: 'notice'; notice: NoticeMessage }
  | { type: 'draft'; event: DraftEvent }
  /** Lag behind the speaker for one language (see LagMessage); either figure may be absent. */
  | { type: 'lag'; lang: string; textMs?: number; voiceMs?: number }
  | { type: 'state'; state: SessionState };

/** What gateways tell the pipeline: which target languages have at least one listener now. */
export interface LanguageDemand {
  type: 'demand';
  languages: string[];
}

export type BusMessage = SessionOutput | LanguageDemand;

export type Unsubscribe = () => void;

export interface MessageBus {
  publish(subject: string, message: BusMessage): void;
  subscribe(subject: string, handler: (message: BusMessage) => void): Unsubscribe;
  close(): Promise<void>;
}

export const subjects = {
  output: (sessionId: string) => `session.${sessionId}.out`,
  demand: (sessionId: string) => `session.${sessionId}.demand`,
};

export class InMemoryBus implements MessageBus {
  private readonly handlers = new Map<string, Set<(m: BusMessage) => void>>();

  publish(subject: string, message: BusMessage): void {
    const set = this.handlers.get(subject);
    if (!set) return;
    for (const h of [...set]) h(message);
  }

  subscribe(subject: string, handler: (message: BusMessage) => void): Unsubscribe {
    let set = this.handlers.get(subject);
    if (!set) {
      set = new Set();
      this.handlers.set(subject, set);
    }
    set.add(handler);
    return () => {
      set.delete(handler);
      if (set.size === 0) this.handlers.delete(subject);
    };
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
