// The voice spawner: a small, long-lived process that starts the voice programs (espeak-ng,
// flite, pico2wave, RHVoice) for the server and relays their output over IPC. Plain JavaScript
// so that it starts without the TypeScript loader.
//
// Why: starting a program forks the process that starts it, and forking the ~500 MB server
// blocked its event loop 25–60 ms per voiced chunk (bench/results/profile-2026-11-30-16-20-
// throughput-main-thread.md), holding up audio and captions for every session; forking this
// process costs a few ms, and here nothing else waits.
import { spawn } from 'node:child_process';

const children = new Map();

function send(message) {
  if (process.connected) process.send(message);
}

function start(m) {
  let done = false;
  const finish = (message) => {
    if (done) return;
    done = true;
    children.delete(m.id);
    send(message);
  };
  let child;
  try {
    child = spawn(m.command, m.args, {
      stdio: [m.stdin === undefined ? 'ignore' : 'pipe', m.stdout ? 'pipe' : 'ignore', 'pipe'],
    });
  } catch (e) {
    finish({ t: 'exit', id: m.id, error: { code: e.code, message: e.message } });
    return;
  }
  children.set(m.id, child);
  child.once('error', (e) => finish({ t: 'exit', id: m.id, error: { code: e.code, message: e.message } }));
  child.once('close', (code, signal) => finish({ t: 'exit', id: m.id, code, signal }));
  child.stdout?.on('data', (data) => send({ t: 'out', id: m.id, data }));
  child.stderr?.on('data', (data) => send({ t: 'err', id: m.id, data: data.toString('utf8') }));
  if (child.stdin) {
    // The program may exit before reading everything (a bad voice): its exit code says so.
    child.stdin.on('error', () => {});
    child.stdin.end(m.stdin);
  }
}

process.on('message', (m) => {
  if (m.t === 'spawn') start(m);
  else if (m.t === 'kill') children.get(m.id)?.kill('SIGKILL');
});

// The server went away (exit, crash, SIGKILL): no voice program outlives it.
process.on('disconnect', () => {
  for (const child of children.values()) child.kill('SIGKILL');
  process.exit(0);
});
