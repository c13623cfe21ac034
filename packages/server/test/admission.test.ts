/**
 * Admission control (issue 10, part B.3), against the real server on a random port: past its
 * capacity the node refuses new sessions, go-lives and languages with 503 / 4503 and
 * BC_ERR_OVER_CAPACITY instead of degrading everyone, and shows capacity and headroom in /readyz
 * and /metrics.
 */
import { CapacityPlanner } from '@babelcast/core';
import { CloseCode, ErrorCode } from '@babelcast/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { startTestServer } from './test-server.ts';
import { connectListener, connectSpeaker, createSession, TestClient } from './ws-client.ts';

const servers: RunningServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function start(limits: Record<string, unknown>) {
  const server = await startTestServer({
    limits,
  });
  servers.push(server);
  return { server, token: await server.createApiToken('alice') };
}

async function post(server: RunningServer, path: string, token: string, body?: object) {
  const res = await fetch(server.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  // biome-ignore lint/suspicious/noExplicitAny: response shapes vary; tests read fields directly
  return { status: res.status, body: (await res.json()) as any };
}

describe('CapacityPlanner', () => {
  it('budget = cores × share; each live session costs the recogniser RTF, each language its cost', () => {
    const planner = new CapacityPlanner({
      cores: 2,
      cpuBudget: 0.5,
      asrRealTimeFactor: 0.3,
      languageCpuCost: 0.1,
      maxSessions: 10,
      maxLiveSessions: 10,
    });
    expect(planner.snapshot([])).toMatchObject({ budgetCores: 1, usedCores: 0, headroomCores: 1 });
    const s = planner.snapshot([
      { live: true, languages: 2 },
      { live: false, languages: 5 },
    ]);
    expect(s).toMatchObject({
      usedCores: 0.5,
      headroomCores: 0.5,
      sessions: 2,
      liveSessions: 1,
      languages: 2,
    });
    expect(s.canStartSession).toBe(true);
    const full = planner.snapshot([
      { live: true, languages: 2 },
      { live: true, languages: 0 },
    ]);
    expect(full.headroomCores).toBeCloseTo(0.2);
    expect(full.canStartSession).toBe(false);
    expect(full.canAddLanguage).toBe(true);
  });
});

describe('admission control', () => {
  it('refuses a session beyond maxSessions with 503 BC_ERR_OVER_CAPACITY', async () => {
    const { server, token } = await start({ maxSessions: 2 });
    await createSession(server.url, token);
    await createSession(server.url, token);
    const third = await post(server, '/api/sessions', token, { sourceLanguage: 'en' });
    expect(third.status).toBe(503);
    expect(third.body.error.code).toBe(ErrorCode.OVER_CAPACITY);
    expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(
      /babelcast_over_capacity_refusals_total\{what="session"\} 1/,
    );
  });

  it('refuses a speaker going live beyond maxLiveSessions with 4503, and an HTTP resume with 503', async () => {
    const { server, token } = await start({ maxLiveSessions: 1 });
    const a = await createSession(server.url, token);
    const b = await createSession(server.url, token);
    const first = await connectSpeaker(server.url, a, token);
    await first.until(() => first.messages('ready').length === 1, 'first ready');
    const second = await connectSpeaker(server.url, b, token);
    const closed = await second.closedWith();
    expect(closed.code).toBe(CloseCode.OVER_CAPACITY);
    expect(second.messages('error')[0]?.code).toBe(ErrorCode.OVER_CAPACITY);
    expect((await server.sessions.require(b)).state).toBe('created');

    // Pause the first: now the second may go live; then resuming the first is refused.
    expect((await post(server, `/api/sessions/${a}/pause`, token)).status).toBe(200);
    const again = await connectSpeaker(server.url, b, token);
    await again.until(() => again.messages('ready').length === 1, 'second ready once there is room');
    const resume = await post(server, `/api/sessions/${a}/resume`, token);
    expect(resume.status).toBe(503);
    expect(resume.body.error.code).toBe(ErrorCode.OVER_CAPACITY);
    first.close();
    again.close();
  });

  it('refuses a new language past the CPU budget with 4503; languages already produced stay open', async () => {
    // 1 core × 0.5 = 0.5; the live session's recogniser takes 0.3, each language 0.1: room for two.
    const { server, token } = await start({
      cpuCores: 1,
      cpuBudget: 0.5,
      asrRealTimeFactor: 0.3,
      languageCpuCost: 0.1,
    });
    const id = await createSession(server.url, token);
    const sp = await connectSpeaker(server.url, id, token);
    await sp.until(() => sp.messages('ready').length === 1, 'ready');
    const es = await connectListener(server.url, id, 'es');
    const fr = await connectListener(server.url, id, 'fr');
    const de = new TestClient(
      `${server.url.replace(/^http/, 'ws')}/ws/listener?session=${id}&targetLanguage=de`,
    );
    const closed = await de.closedWith();
    expect(closed.code).toBe(CloseCode.OVER_CAPACITY);
    expect(de.messages('error')[0]?.code).toBe(ErrorCode.OVER_CAPACITY);
    // More listeners of a language already produced cost nothing more; the source costs nothing.
    const es2 = await connectListener(server.url, id, 'es');
    const en = await connectListener(server.url, id, 'en');
    es2.send({ type: 'setLanguage', targetLanguage: 'pt' });
    await es2.until(() => es2.messages('error').length === 1, 'refused switch');
    expect(es2.messages('error')[0]!.code).toBe(ErrorCode.OVER_CAPACITY);

    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as {
      ready: boolean;
      capacity: Record<string, number | boolean>;
    };
    expect(ready.ready).toBe(true);
    expect(ready.capacity).toMatchObject({
      cores: 1,
      budgetCores: 0.5,
      usedCores: 0.5,
      headroomCores: 0,
      liveSessions: 1,
      languages: 2,
      canStartSession: false,
      canAddLanguage: false,
    });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/babelcast_capacity_cores\{what="headroom"\} 0/);
    expect(metrics).toMatch(/babelcast_capacity_cores\{what="budget"\} 0\.5/);
    expect(metrics).toMatch(/babelcast_capacity_sessions\{what="live"\} 1/);
    expect(metrics).toMatch(/babelcast_over_capacity_refusals_total\{what="language"\} 2/);
    for (const c of [sp, es, fr, es2, en]) c.close();
  });
});
