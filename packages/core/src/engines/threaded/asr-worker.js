// Worker-thread host for a speech recogniser. Plain JavaScript so that it can register the
// TypeScript loader before importing the engine package (workers do not inherit the main
// thread's loader). Messages: see threaded-asr.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { module: specifier, exportName, options } = workerData;

const streams = new Map();
let engine;

async function start() {
  const mod = await import(specifier);
  engine = new mod[exportName](options);
  await engine.init();
  parentPort.postMessage({ type: 'ready', info: engine.info, capabilities: engine.capabilities });
}

parentPort.on('message', async (m) => {
  try {
    switch (m.op) {
      case 'create':
        streams.set(
          m.id,
          engine.createStream({
            language: m.language,
            onEvent: (event) => parentPort.postMessage({ type: 'event', id: m.id, event }),
          }),
        );
        break;
      case 'write':
        streams.get(m.id)?.write(new Int16Array(m.samples));
        break;
      case 'finish': {
        const stream = streams.get(m.id);
        const result = stream
          ? await stream.finishUtterance()
          : { type: 'final', text: '', startMs: 0, endMs: 0 };
        parentPort.postMessage({ type: 'final', id: m.id, req: m.req, result });
        break;
      }
      case 'close':
        streams.get(m.id)?.close();
        streams.delete(m.id);
        break;
      case 'shutdown':
        for (const s of streams.values()) s.close();
        streams.clear();
        await engine?.close();
        parentPort.postMessage({ type: 'closed' });
        break;
    }
  } catch (err) {
    parentPort.postMessage({
      type: 'error',
      id: m.id,
      req: m.req,
      message: String(err?.message ?? err),
      // An EngineError says whether trying again may work; anything else might be passing.
      recoverable: err?.recoverable !== false,
    });
  }
});

start().catch((err) => {
  parentPort.postMessage({
    type: 'init-error',
    message: String(err?.message ?? err),
    unavailable: err?.name === 'EngineUnavailableError',
  });
});
