/**
 * A bounded FIFO worked by one async consumer. Order matters for captions and voice, so each
 * stage of a language track is one of these. When full, the configured policy decides:
 * `drop-oldest` discards the oldest waiting job (used for voice: catching up with the live
 * speaker matters more than a stale sentence's audio); `reject` refuses the new one.
 */
export type OverflowPolicy = 'drop-oldest' | 'reject';

export class SerialQueue<T> {
  private readonly items: T[] = [];
  private running = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly worker: (item: T) => Promise<void>,
    private readonly capacity: number,
    private readonly policy: OverflowPolicy,
    private readonly onDrop: (item: T) => void = () => {},
  ) {}

  get size(): number {
    return this.items.length + (this.running ? 1 : 0);
  }

  /** Returns false if the item was refused (closed, or full with the `reject` policy). */
  push(item: T): boolean {
    if (this.closed) return false;
    if (this.items.length >= this.capacity) {
      if (this.policy === 'reject') {
        this.onDrop(item);
        return false;
      }
      this.onDrop(this.items.shift()!);
    }
    this.items.push(item);
    void this.drain();
    return true;
  }

  /** Resolves when everything queued so far has been processed. */
  idle(): Promise<void> {
    if (!this.running && this.items.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Drop everything waiting; the job in progress finishes (its worker should watch an AbortSignal). */
  close(): void {
    this.closed = true;
    this.items.length = 0;
    if (!this.running) this.wakeIdle();
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.items.length > 0) {
        const item = this.items.shift()!;
        try {
          await this.worker(item);
        } catch {
          // Workers report their own failures; the queue must keep going regardless.
        }
      }
    } finally {
      this.running = false;
      this.wakeIdle();
    }
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
