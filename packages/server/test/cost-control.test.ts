/**
 * Cost control (issue 10, part B.2), against the real server on a random port: a session offers
 * the languages its speaker (or the config) chose, up to limits.maxLanguagesPerSession, and one
 * anonymous socket switching languages cannot keep more than one of them alive.
 */
import { InMemoryBus, subjects } from '@babelcast/core';
import { CloseCode, ErrorCode } from '@babelcast/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { startTestServer } from './test-server.ts';
import { connectListener, TestClient } from './ws-client.ts';

let server: RunningServer;
let token: string;
const bus = new InMemoryBus();
const GRACE_MS = 400;

beforeAll(async () => {
  server = await startTestServer({
    bus,
    limits: { maxLanguagesPerSession: 3, demandGraceMs: GRACE_MS },
    rateLimits: { listenerMessages: { perSecond: 50, burst: 100 } },
  });
  token = await server.createApiToken('alice');
});
afterAll(async () => {
  await server?.close();
});

async function create(body: object) {
  const res = await fetch(`${server.url}/api/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sourceLanguage: 'en', ...body }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: response shapes vary; tests read fields directly
  return { status: res.status, body: (await res.json()) as any };
}

const wsUrl = () => server.url.replace(/^http/, 'ws');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('offered languages', () => {
  it('the speaker chooses them when creating the session; others are refused with 4422', async () => {
    const made = await create({ targetLanguages: ['es', 'fr'] });
    expect(made.status).toBe(201);
    expect(made.body.targetLanguages).toEqual(['en', 'es', 'fr']);
    const info = await (await fetch(`${server.url}/api/sessions/${made.body.id}`)).json();
    expect(info.targetLanguages).toEqual(['en', 'es', 'fr']);

    const de = new TestClient(`${wsUrl()}/ws/listener?session=${made.body.id}&targetLanguage=de`);
    const closed = await de.closedWith();
    expect(closed.code).toBe(CloseCode.UNSUPPORTED_PAIR);
    expect(closed.reason).toMatch(/does not offer "de"/);
    expect(de.messages('error')[0]?.code).toBe(ErrorCode.LANGUAGE_NOT_OFFERED);

    const fr = await connectListener(server.url, made.body.id, 'fr');
    fr.send({ type: 'setLanguage', targetLanguage: 'pt' });
    await fr.until(() => fr.messages('error').length === 1, 'refusal');
    expect(fr.messages('error')[0]!.code).toBe(ErrorCode.LANGUAGE_NOT_OFFERED);
    // The source language (captions without translation) is always offered.
    fr.send({ type: 'setLanguage', targetLanguage: 'en' });
    await fr.until(() => fr.messages('languageChanged').length === 1, 'switch to the source');
    fr.close();
  });

  it('validates the choice: served pairs only, at most maxLanguagesPerSession', async () => {
    const unserved = await create({ targetLanguages: ['es', 'ja'] });
    expect(unserved.status).toBe(422);
    expect(unserved.body.error.code).toBe(ErrorCode.UNSUPPORTED_PAIR);
    // The limit is published for the speaker page.
    const languages = await (await fetch(`${server.url}/api/languages`)).json();
    expect(languages.limits).toEqual({ maxLanguagesPerSession: 3 });
    const tooMany = await create({ targetLanguages: ['es', 'fr', 'de', 'pt'] });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.code).toBe(ErrorCode.VALIDATION);
    const bad = await create({ targetLanguages: ['español'] });
    expect(bad.status).toBe(400);
    // Without a choice: what is served, cut to the limit (plus the source itself).
    const dflt = await create({});
    expect(dflt.body.targetLanguages).toHaveLength(1 + 3);
    expect(dflt.body.targetLanguages[0]).toBe('en');
  });

  it('the config can set the default offer', async () => {
    const other = await startTestServer({
      sessions: { targetLanguages: ['pt', 'it', 'xx'] },
    });
    try {
      const t = await other.createApiToken('carol');
      const res = await fetch(`${other.url}/api/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sourceLanguage: 'en' }),
      });
      expect(((await res.json()) as { targetLanguages: string[] }).targetLanguages).toEqual([
        'en',
        'pt',
        'it',
      ]);
    } finally {
      await other.close();
    }
  });
});

describe('demand grace is per listener', () => {
  it('one anonymous socket cycling languages keeps at most one alive; only its last outlives it', async () => {
    const made = await create({ targetLanguages: ['es', 'fr', 'de'] });
    const id = made.body.id as string;
    const demands: string[][] = [];
    bus.subscribe(subjects.allDemand(id), (m) => {
      if (m.type === 'demand') demands.push(m.languages);
    });
    const l = await connectListener(server.url, id, 'es');
    // Several switches per grace period: with a grace per switch, all three would stay demanded.
    const cycle = ['fr', 'de', 'es', 'fr', 'de', 'es', 'fr', 'de', 'es', 'fr', 'de', 'es'];
    for (const lang of cycle) {
      l.send({ type: 'setLanguage', targetLanguage: lang });
      await sleep(GRACE_MS / 4);
    }
    await l.until(() => l.messages('languageChanged').length === cycle.length, 'every switch');
    expect(l.messages('error')).toEqual([]);
    expect(demands.length).toBeGreaterThanOrEqual(cycle.length);
    for (const languages of demands) expect(languages.length).toBeLessThanOrEqual(1);
    expect(demands.at(-1)).toEqual(['es']);

    // A listener that disconnects keeps its language for the grace (its phone may come back)…
    l.close();
    await l.closedWith();
    await sleep(GRACE_MS / 2);
    expect(demands.at(-1)).toEqual(['es']);
    // …and then it costs nothing.
    await sleep(GRACE_MS);
    expect(demands.at(-1)).toEqual([]);
  });
});
