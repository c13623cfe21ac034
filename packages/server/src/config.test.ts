import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('has working defaults with no file and no environment', () => {
    const c = loadConfig({ env: {} });
    expect(c.port).toBe(8080);
    expect(c.engines.preset).toBe('embedded');
    expect(c.pipeline.silenceMs).toBe(500);
    expect(c.logTranscripts).toBe(false);
    expect(c.retentionHours).toBe(24);
  });

  it('layers file < environment < overrides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bc-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ port: 7000, dataDir: '/from/file', pipeline: { silenceMs: 700 } }));
    const c = loadConfig({
      file,
      env: { BABELCAST_PORT: '7001', BABELCAST_ENGINES: 'fake' },
      overrides: { dataDir: '/from/flag' },
    });
    expect(c.port).toBe(7001);
    expect(c.dataDir).toBe('/from/flag');
    expect(c.engines.preset).toBe('fake');
    expect(c.pipeline.silenceMs).toBe(700);
    expect(c.pipeline.maxUtteranceMs).toBe(10_000);
  });

  it('defaults to simultaneous mode with its tuning, and takes the mode from the environment', () => {
    const c = loadConfig({ env: {} });
    expect(c.pipeline.mode).toBe('simultaneous');
    expect(c.pipeline.simultaneous).toMatchObject({ agreement: 2, pauseMs: 200, draftIntervalMs: 400 });
    expect(c.pipeline.voice).toMatchObject({ targetLagMs: 2500, maxRate: 1.4, skipAheadLagMs: 6000 });
    expect(loadConfig({ env: { BABELCAST_PIPELINE_MODE: 'sentence' } }).pipeline.mode).toBe('sentence');
    expect(() => loadConfig({ env: { BABELCAST_PIPELINE_MODE: 'fast' } })).toThrow(/pipeline\.mode/);
    expect(() => loadConfig({ env: {}, overrides: { pipeline: { voice: { maxRate: 3 } } } })).toThrow(
      /pipeline\.voice\.maxRate/,
    );
  });

  it('fails loudly, naming each bad field', () => {
    expect(() => loadConfig({ env: { BABELCAST_PORT: 'eighty' } })).toThrow(ConfigError);
    try {
      loadConfig({ env: {}, overrides: { port: 70000, pipeline: { silenceMs: 10 }, typo: true } });
      expect.unreachable();
    } catch (err) {
      const msg = (err as Error).message;
      expect(msg).toMatch(/port/);
      expect(msg).toMatch(/pipeline\.silenceMs/);
      expect(msg).toMatch(/typo/);
    }
    expect(() => loadConfig({ file: '/does/not/exist.json', env: {} })).toThrow(/cannot read config file/);
  });

  it('privacy, cost and capacity settings: defaults from the schema, metrics token from the environment', () => {
    const c = loadConfig({ env: { BABELCAST_METRICS_TOKEN: 'a-metrics-token-of-16+' } });
    expect(c.metrics).toEqual({ token: 'a-metrics-token-of-16+', sessionLabels: false });
    expect(c.sessions.targetLanguages).toBeUndefined();
    expect(c.limits).toMatchObject({
      maxLanguagesPerSession: 10,
      maxSessions: 500,
      maxLiveSessions: 50,
      cpuBudget: 0.8,
      anonymousReplayMaxEvents: 50,
      idlePauseMs: 600_000,
      idleEndMs: 21_600_000,
    });
    expect(c.auth.jwt).toMatchObject({ maxLifetimeSeconds: 86_400, allowAnyIssuerAudience: false });
    expect(() => loadConfig({ env: {}, overrides: { metrics: { token: 'short' } } })).toThrow(
      /metrics\.token/,
    );
    expect(() => loadConfig({ env: {}, overrides: { sessions: { targetLanguages: ['Spanish'] } } })).toThrow(
      /sessions\.targetLanguages/,
    );
  });
});

describe('bus config', () => {
  it('defaults to the in-memory bus; BABELCAST_NATS_URL selects NATS; nats needs a URL', () => {
    expect(loadConfig({ env: {} }).bus).toMatchObject({
      kind: 'memory',
      natsPrefix: 'babelcast',
      replicas: 1,
    });
    expect(loadConfig({ env: { BABELCAST_NATS_URL: 'nats://a:4222,nats://b:4222' } }).bus).toMatchObject({
      kind: 'nats',
      natsUrl: 'nats://a:4222,nats://b:4222',
    });
    expect(() => loadConfig({ env: {}, overrides: { bus: { kind: 'nats' } } })).toThrow(/bus\.natsUrl/);
    expect(() => loadConfig({ env: {}, overrides: { bus: { natsPrefix: 'a.b' } } })).toThrow(
      /bus\.natsPrefix/,
    );
  });
});

describe('role config', () => {
  it('all by default; BABELCAST_ROLE sets it; gateways and workers must have NATS and PostgreSQL', () => {
    expect(loadConfig({ env: {} }).role).toBe('all');
    const cluster = {
      BABELCAST_NATS_URL: 'nats://127.0.0.1:4222',
      BABELCAST_POSTGRES_URL: 'postgres://localhost/test',
    };
    expect(loadConfig({ env: { ...cluster, BABELCAST_ROLE: 'worker' } }).role).toBe('worker');
    expect(() => loadConfig({ env: { BABELCAST_ROLE: 'gateway' } })).toThrow(
      /role "gateway" needs NATS[\s\S]*role "gateway" needs PostgreSQL/,
    );
    expect(() =>
      loadConfig({ env: { BABELCAST_ROLE: 'worker', BABELCAST_NATS_URL: cluster.BABELCAST_NATS_URL } }),
    ).toThrow(/store\.postgresUrl: role "worker" needs PostgreSQL/);
    expect(() => loadConfig({ env: { BABELCAST_ROLE: 'boss' } })).toThrow(/role/);
  });
});
