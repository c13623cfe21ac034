import { describe, expect, it } from 'vitest';
import type { EngineInfo } from '../engines/engine.ts';
import { FakeMt } from '../engines/fakes/fake-mt.ts';
import type { MtCapabilities, MtEngine, TranslateRequest } from '../engines/mt.ts';
import { checkMtKeepsOrder, MtOrderError } from './mt-order.ts';

abstract class WrappedMt implements MtEngine {
  readonly info: EngineInfo = { id: 'wired', kind: 'mt', description: 'test double', local: true };
  protected readonly inner = new FakeMt();
  readonly capabilities: MtCapabilities = this.inner.capabilities;
  async init(): Promise<void> {}
  async close(): Promise<void> {}
  abstract translate(request: TranslateRequest): Promise<string>;
}

/** Answers each call with the previous call's result (the bug the old test let through). */
class PreviousAnswerMt extends WrappedMt {
  private previous = '';
  async translate(request: TranslateRequest): Promise<string> {
    const answer = this.previous;
    this.previous = await this.inner.translate(request);
    return answer;
  }
}

/** Correct one call at a time; requests in flight together get each other's answers (reversed). */
class CrossWiredMt extends WrappedMt {
  private batch: { request: TranslateRequest; resolve: (s: string) => void }[] = [];
  translate(request: TranslateRequest): Promise<string> {
    return new Promise((resolve) => {
      this.batch.push({ request, resolve });
      if (this.batch.length > 1) return;
      setTimeout(async () => {
        const batch = this.batch;
        this.batch = [];
        const answers = await Promise.all(batch.map((b) => this.inner.translate(b.request)));
        answers.reverse();
        for (const [i, b] of batch.entries()) b.resolve(answers[i]!);
      }, 5);
    });
  }
}

describe('checkMtKeepsOrder (the MT conformance order check)', () => {
  it('passes a correct translator, one call at a time or many at once', async () => {
    await expect(checkMtKeepsOrder(new FakeMt(), 'en', 'es')).resolves.toBeUndefined();
    await expect(checkMtKeepsOrder(new FakeMt({ delayMs: 3 }), 'en', 'es')).resolves.toBeUndefined();
  });

  it('catches a translator that answers with the previous call result', async () => {
    await expect(checkMtKeepsOrder(new PreviousAnswerMt(), 'en', 'es')).rejects.toThrow(MtOrderError);
  });

  it('catches a cross-wired translator that is right when called alone', async () => {
    const wired = new CrossWiredMt();
    expect(await wired.translate({ text: 'One cat.', from: 'en', to: 'es' })).toBe('[es] One cat.');
    await expect(checkMtKeepsOrder(wired, 'en', 'es')).rejects.toThrow(/concurrent call/);
  });

  it('refuses a translator whose answers cannot show a mix-up', async () => {
    const constant = new (class extends WrappedMt {
      async translate(): Promise<string> {
        return 'hola';
      }
    })();
    await expect(checkMtKeepsOrder(constant, 'en', 'es')).rejects.toThrow(/same translation/);
  });
});
