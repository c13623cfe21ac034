import { FallbackMt, FakeMt, RetryingMt } from '@babelcast/core';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { closeEngines, createEngines, initEngines } from './engines.ts';

const config = (engines: Record<string, unknown>) => loadConfig({ env: {}, overrides: { engines } });

describe('createEngines: retry and fallback from config', () => {
  it('retries translations by default; retryBackoffMs 0 turns it off', async () => {
    const retried = await createEngines(config({ preset: 'fake' }));
    expect(retried.mt).toBeInstanceOf(RetryingMt);
    expect((retried.mt as RetryingMt).inner).toBeInstanceOf(FakeMt);
    const plain = await createEngines(config({ preset: 'fake', retryBackoffMs: 0 }));
    expect(plain.mt).toBeInstanceOf(FakeMt);
  });

  it('puts engines.fallbackMt behind the translator, and translates through it', async () => {
    const calls: string[] = [];
    const engines = await createEngines(
      config({ preset: 'fake', mt: 'aws-translate', fallbackMt: 'fake', retryBackoffMs: 0 }),
      { onCost() {}, onFallback: (e) => calls.push(`${e.from}→${e.to}:${e.reason}`) },
    );
    expect(engines.mt).toBeInstanceOf(FallbackMt);
    expect(engines.mt.info.id).toBe('aws-translate+fake');
    // No AWS here: the first translator cannot start, the fallback serves every pair.
    await initEngines(engines);
    try {
      expect(await engines.mt.translate({ text: 'Hello.', from: 'en', to: 'es' })).toBe('[es] Hello.');
      expect(calls).toEqual(['aws-translate→fake:unavailable']);
    } finally {
      await closeEngines(engines);
    }
  }, 30_000);
});
