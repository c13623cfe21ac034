import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Metrics } from '../observability/metrics.ts';
import { EngineError, type EngineInfo } from './engine.ts';
import { FallbackMt, type FallbackEvent } from './fallback.ts';
import type { MtEngine, TranslateRequest } from './mt.ts';
import { RetryingMt, RetryingTts, retryRecoverable } from './retry.ts';
import type { TtsChunk, TtsEngine } from './tts.ts';

const POLICY = { backoffMs: 200 };

/** A translator that fails with the scripted errors first, then answers `[id] text`. */
function scriptedMt(id: string, failures: unknown[] = [], pairs = [['en', 'es']]) {
  const calls: string[] = [];
  const info: EngineInfo = { id, kind: 'mt', description: id, local: true };
  let initError: unknown = null;
  const engine: MtEngine & { calls: string[]; failInit(err: unknown): void } = {
    info,
    capabilities: { pairs: pairs.map(([from, to]) => ({ from: from!, to: to!, via: [] })) },
    calls,
    failInit: (err) => {
      initError = err;
    },
    init: async () => {
      if (initError) throw initError;
    },
    close: async () => {},
    translate: async ({ text }: TranslateRequest) => {
      calls.push(text);
      const failure = failures.shift();
      if (failure) throw failure;
      return `[${id}] ${text}`;
    },
  };
  return engine;
}

const recoverable = () => new EngineError('mt', 'throttled', true);
const fatal = () => new EngineError('mt', 'no such pair', false);

describe('retryRecoverable', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('tries a recoverable failure once more after the backoff', async () => {
    const mt = scriptedMt('mt', [recoverable()]);
    const retried: string[] = [];
    const result = new RetryingMt(mt, { ...POLICY, onRetry: (e) => retried.push(e.message) }).translate({
      text: 'hello',
      from: 'en',
      to: 'es',
    });
    await vi.advanceTimersByTimeAsync(199);
    expect(mt.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(result).resolves.toBe('[mt] hello');
    expect(mt.calls).toHaveLength(2);
    expect(retried).toEqual(['mt: throttled']);
  });

  it('retries only once', async () => {
    const mt = scriptedMt('mt', [recoverable(), recoverable()]);
    const result = new RetryingMt(mt, POLICY).translate({ text: 'hi', from: 'en', to: 'es' });
    const settled = expect(result).rejects.toThrow('throttled');
    await vi.runAllTimersAsync();
    await settled;
    expect(mt.calls).toHaveLength(2);
  });

  it('does not retry what cannot recover, nor what is not an engine error', async () => {
    for (const failure of [fatal(), new TypeError('bug')]) {
      const mt = scriptedMt('mt', [failure]);
      await expect(new RetryingMt(mt, POLICY).translate({ text: 'hi', from: 'en', to: 'es' })).rejects.toBe(
        failure,
      );
      expect(mt.calls).toHaveLength(1);
    }
  });

  it('gives up during the backoff when the request is aborted', async () => {
    const abort = new AbortController();
    let calls = 0;
    const result = retryRecoverable(
      async () => {
        calls++;
        throw recoverable();
      },
      POLICY,
      abort.signal,
    );
    const settled = expect(result).rejects.toThrow('stale');
    await vi.advanceTimersByTimeAsync(50);
    abort.abort(new Error('stale'));
    await settled;
    expect(calls).toBe(1);
  });
});

describe('RetryingTts', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function scriptedTts(script: ('chunk' | 'fail')[][]) {
    let attempt = 0;
    const chunk: TtsChunk = { samples: new Int16Array(10), sampleRate: 16000 };
    const tts: TtsEngine & { attempts(): number } = {
      info: { id: 'tts', kind: 'tts', description: 'tts', local: true },
      capabilities: { languages: ['es'], streaming: true },
      init: async () => {},
      close: async () => {},
      attempts: () => attempt,
      async *synthesize() {
        for (const step of script[attempt++] ?? []) {
          if (step === 'fail') throw recoverable();
          yield chunk;
        }
      },
    };
    return tts;
  }

  async function drain(it: AsyncIterable<TtsChunk>): Promise<number> {
    let n = 0;
    for await (const _ of it) n++;
    return n;
  }

  it('retries a voice that failed before its first chunk', async () => {
    const tts = scriptedTts([['fail'], ['chunk', 'chunk']]);
    const result = drain(new RetryingTts(tts, POLICY).synthesize({ text: 'hola', language: 'es' }));
    await vi.runAllTimersAsync();
    await expect(result).resolves.toBe(2);
    expect(tts.attempts()).toBe(2);
  });

  it('does not say a sentence twice: no retry once audio was handed on', async () => {
    const tts = scriptedTts([
      ['chunk', 'fail'],
      ['chunk', 'chunk'],
    ]);
    const result = drain(new RetryingTts(tts, POLICY).synthesize({ text: 'hola', language: 'es' }));
    await expect(result).rejects.toThrow('throttled');
    expect(tts.attempts()).toBe(1);
  });

  it('passes voicesFor through only when the engine has it', () => {
    expect(new RetryingTts(scriptedTts([]), POLICY).voicesFor).toBeUndefined();
  });
});

describe('FallbackMt', () => {
  function setup(primaryFailures: unknown[] = []) {
    const primary = scriptedMt('aws-translate', primaryFailures, [
      ['en', 'es'],
      ['en', 'ja'],
    ]);
    const fallback = scriptedMt(
      'apertium',
      [],
      [
        ['en', 'es'],
        ['en', 'ca'],
      ],
    );
    const events: FallbackEvent[] = [];
    const mt = new FallbackMt(primary, fallback, { onFallback: (e) => events.push(e) });
    return { primary, fallback, mt, events };
  }

  it('translates with the first engine while it works, and serves the pairs of both', async () => {
    const { mt, events } = setup();
    await mt.init();
    await expect(mt.translate({ text: 'hi', from: 'en', to: 'es' })).resolves.toBe('[aws-translate] hi');
    expect(mt.capabilities.pairs.map((p) => `${p.from}-${p.to}`)).toEqual(['en-es', 'en-ja', 'en-ca']);
    expect(events).toEqual([]);
  });

  it('falls back on a failed sentence and reports it', async () => {
    const { mt, events } = setup([recoverable()]);
    await mt.init();
    await expect(mt.translate({ text: 'hi', from: 'en', to: 'es' })).resolves.toBe('[apertium] hi');
    expect(events).toEqual([{ kind: 'mt', from: 'aws-translate', to: 'apertium', reason: 'failed' }]);
  });

  it('counts fallbacks in babelcast_engine_fallbacks_total', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const primary = scriptedMt('aws-translate', [recoverable()]);
    const mt = new FallbackMt(primary, scriptedMt('apertium'), {
      onFallback: (e) => metrics.engineFallback(e),
    });
    await mt.init();
    await mt.translate({ text: 'hi', from: 'en', to: 'es' });
    const text = await metrics.registry.getSingleMetricAsString('babelcast_engine_fallbacks_total');
    expect(text).toContain(
      'babelcast_engine_fallbacks_total{kind="mt",from="aws-translate",to="apertium",reason="failed"} 1',
    );
  });

  it('uses the second engine for pairs only it serves', async () => {
    const { mt, events } = setup();
    await mt.init();
    await expect(mt.translate({ text: 'hi', from: 'en', to: 'ca' })).resolves.toBe('[apertium] hi');
    expect(events[0]?.reason).toBe('unsupported');
  });

  it('runs on the second engine when the first cannot start', async () => {
    const { mt, primary, events } = setup();
    primary.failInit(new Error('no credentials'));
    await mt.init();
    await expect(mt.translate({ text: 'hi', from: 'en', to: 'es' })).resolves.toBe('[apertium] hi');
    expect(primary.calls).toEqual([]);
    expect(events[0]?.reason).toBe('unavailable');
    expect(mt.capabilities.pairs.map((p) => `${p.from}-${p.to}`)).toEqual(['en-es', 'en-ca']);
  });

  it('fails when neither starts, and refuses a pair neither serves', async () => {
    const { mt, primary, fallback } = setup();
    primary.failInit(new Error('no credentials'));
    fallback.failInit(new Error('apertium missing'));
    await expect(mt.init()).rejects.toThrow('no credentials');
    const ok = setup();
    await ok.mt.init();
    await expect(ok.mt.translate({ text: 'hi', from: 'en', to: 'de' })).rejects.toThrow(EngineError);
  });
});
