import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { childProcessesNamed } from './child-processes.ts';
import { VoiceSpawner } from './voice-spawner.ts';

async function readAll(stream: AsyncIterable<Buffer> | null): Promise<string> {
  let text = '';
  for await (const chunk of stream ?? []) text += chunk.toString('utf8');
  return text;
}

/** The spawner itself starts on first use (a Node process: tens of ms), so wait for the program. */
async function appears(name: string): Promise<number[]> {
  for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
    const found = childProcessesNamed(name);
    if (found.length > 0) return found;
    await new Promise((r) => setTimeout(r, 10));
  }
  return [];
}

const parentOf = (pid: number) =>
  Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);

describe('VoiceSpawner', () => {
  // Each test's own spawner, stopped after it whatever the test did.
  let spawner = new VoiceSpawner();
  afterEach(() => {
    spawner.close();
    spawner = new VoiceSpawner();
  });

  it('runs a program off this process and relays its stdin, stdout, stderr and exit', async () => {
    const program = spawner.spawn({
      command: 'sh',
      args: ['-c', 'cat; echo oops >&2; sleep 1; exit 3'],
      stdin: 'hello',
      stdout: true,
    });
    let stderr = '';
    program.onStderr((s) => {
      stderr += s;
    });
    // The program is a grandchild: the spawner, not this process, forked it.
    const [sh] = await appears('sh');
    expect(sh).toBeDefined();
    expect(parentOf(sh!)).not.toBe(process.pid);
    expect(await readAll(program.stdout)).toBe('hello');
    expect(await program.outcome).toEqual({ code: 3, signal: null });
    expect(stderr).toBe('oops\n');
    expect(program.exited).toBe(true);
  });

  it('reports a missing program as a spawn error with its code', async () => {
    const outcome = await spawner.spawn({ command: 'no-such-voice-program', args: [], stdout: true }).outcome;
    expect((outcome.spawnError as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('kills a program on request', async () => {
    const program = spawner.spawn({ command: 'sleep', args: ['30'], stdout: false });
    await appears('sleep');
    program.kill();
    expect(await program.outcome).toEqual({ code: null, signal: 'SIGKILL' });
    expect(childProcessesNamed('sleep')).toEqual([]);
  });

  it('fails what was running when the spawner dies, and starts a new spawner for the next program', async () => {
    const running = spawner.spawn({ command: 'sleep', args: ['30'], stdout: false });
    await appears('sleep');
    spawner.close(); // SIGKILL: as if it had crashed
    expect((await running.outcome).spawnError?.message).toMatch(/spawner process exited/);
    const next = spawner.spawn({ command: 'sh', args: ['-c', 'echo again'], stdout: true });
    expect(await readAll(next.stdout)).toBe('again\n');
    expect((await next.outcome).code).toBe(0);
  });

  it('keeps a process that waits for a program alive until the program ends, and lets it exit after', () => {
    const tsx = fileURLToPath(new URL('../../../../../node_modules/.bin/tsx', import.meta.url));
    const fixture = fileURLToPath(new URL('./voice-spawner.fixture.ts', import.meta.url));
    // Without the hold, the process exits early (13: unsettled top-level await) and prints nothing.
    expect(execFileSync(tsx, [fixture], { encoding: 'utf8', timeout: 20_000 })).toBe('hello 0\n');
  });
});
