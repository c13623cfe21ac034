/**
 * Calls run one after another: each starts once the previous one has settled, and each caller
 * gets its own result or error. The SQL stores run their retention purges through one, so a
 * purge never overlaps another, and close() waits for the last one.
 */
export class OneAtATime {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.catch(() => {});
    return result;
  }

  /** Settles (never rejects) once every call made so far has settled. */
  idle(): Promise<unknown> {
    return this.tail;
  }
}
