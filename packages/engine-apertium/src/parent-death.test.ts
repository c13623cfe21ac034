/**
 * A server killed with SIGKILL (crash, OOM killer, a failover test) must not leave apertium-apy and
 * its per-pair pipelines running forever, re-parented to init and holding memory and a port. A child
 * Node process starts the real engine and is then SIGKILLed; afterwards no process of apy's group
 * may be left.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { processGroupMembers } from './process-group.ts';

const engineModule = fileURLToPath(new URL('./apertium-mt.ts', import.meta.url));
const SCRIPT = `
const { ApertiumMt } = await import(${JSON.stringify(engineModule)});
const mt = new ApertiumMt();
await mt.init();
// Start a pair's pipeline too: those processes are the ones that used to be left behind.
await mt.translate({ text: 'Hello.', from: 'en', to: 'es' });
process.stdout.write(String(mt.apyPid) + '\\n');
setInterval(() => {}, 1000);
`;

describe('apertium-apy dies with its parent', () => {
  it('leaves no process behind when the server process is SIGKILLed', async () => {
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const apyPid = await new Promise<number>((resolve, reject) => {
      let out = '';
      parent.stdout!.on('data', (d) => {
        out += d;
        const line = out.split('\n')[0];
        if (out.includes('\n')) resolve(Number(line));
      });
      parent.once('exit', (code) => reject(new Error(`engine process exited early (${code})`)));
    });
    expect(apyPid).toBeGreaterThan(0);
    // apy and at least one pair pipeline process are running in apy's group.
    expect(processGroupMembers(apyPid).length).toBeGreaterThan(1);
    parent.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (processGroupMembers(apyPid).length > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(processGroupMembers(apyPid)).toEqual([]);
  }, 60_000);
});
