/** Restart survival, graceful shutdown and metrics, with the real SQLite store in a temp data dir. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloseCode } from '@babelcast/protocol';
import { describe, expect, it } from 'vitest';
import { sendClip, startTestServer } from './test-server.ts';
import { connectListener, connectSpeaker, createSession } from './ws-client.ts';

const start = (dataDir: string) => startTestServer({ dataDir });

describe('server lifecycle', () => {
  it('keeps sessions, transcripts and numbering across a restart; shutdown pauses live sessions', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'babelcast-'));
    let server = await start(dataDir);
    const token = await server.createApiToken('alice');
    const created = { id: await createSession(server.url, token) };
    const listener = await connectListener(server.url, created.id, 'es');
    const speaker = await connectSpeaker(server.url, created.id, token);
    const seq = sendClip(speaker, 'ljspeech-03.wav');
    await listener.until(
      () => listener.messages('caption').some((c) => c.kind === 'translation'),
      'a translation',
    );
    const lastSeqBefore = Math.max(...listener.messages('caption').map((c) => c.seq as number));

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/babelcast_stage_latency_seconds_count\{stage="mt",lang="es"\} [1-9]/);
    expect(metrics).toMatch(/babelcast_listeners\{lang="es"\} 1/);
    expect(metrics).not.toMatch(/alpha bravo/i); // no transcript text in metrics

    await server.close();
    expect((await listener.closedWith()).code).toBe(CloseCode.GOING_AWAY);
    expect((await speaker.closedWith()).code).toBe(CloseCode.GOING_AWAY);

    server = await start(dataDir);
    try {
      const info = (await (await fetch(`${server.url}/api/sessions/${created.id}`)).json()) as {
        state: string;
      };
      expect(info.state).toBe('paused');
      const txt = await (
        await fetch(`${server.url}/api/sessions/${created.id}/transcript?lang=es&format=vtt`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).text();
      expect(txt).toMatch(/^WEBVTT\n\n\d+\n00:00:0\d\.\d{3} --> /);
      expect(txt).toMatch(/\[es\] /);
      // The token survives too; the owner resumes and numbering continues after the old seqs.
      const again = await connectListener(server.url, created.id, 'es');
      const sp = await connectSpeaker(server.url, created.id, token);
      await sp.until(() => sp.messages('ready').length === 1, 'ready after restart');
      sp.send({ type: 'resume' });
      await again.until(() => again.messages('state').some((s) => s.state === 'live'), 'live again');
      sendClip(sp, 'ljspeech-03.wav', { afterSeq: seq });
      await again.until(
        () => again.messages('caption').some((c) => c.kind === 'translation' && !c.replay),
        'new translation',
      );
      const fresh = again.messages('caption').filter((c) => !c.replay);
      expect(Math.min(...fresh.map((c) => c.seq as number))).toBeGreaterThan(lastSeqBefore);
      again.close();
      sp.close();
    } finally {
      await server.close();
    }
  });
});
