/**
 * sherpa-onnx calls exit() from native code when a model file is not what the config says (wrong
 * or corrupt download: "'vocab_size' does not exist in the metadata", measured with 1.13.8). That
 * would take the whole server down, so a recogniser is first built once in a throw-away child
 * process; only if that child survives does the engine build it in-process.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';

export type RecognizerKind = 'online' | 'offline';

const PROBE = `
const sherpa = require(process.env.SHERPA_ONNX_NODE);
const config = JSON.parse(process.env.SHERPA_CONFIG);
if (process.env.SHERPA_KIND === 'online') new sherpa.OnlineRecognizer(config);
else new sherpa.OfflineRecognizer(config);
process.stdout.write('loaded');
`;

export interface ProbeOutcome {
  ok: boolean;
  /** The native library's last words when it did not load. */
  detail: string;
}

export function probeRecognizer(
  kind: RecognizerKind,
  config: Record<string, unknown>,
  timeoutMs = 180_000,
): Promise<ProbeOutcome> {
  const sherpaEntry = createRequire(import.meta.url).resolve('sherpa-onnx-node');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-e', PROBE],
      {
        timeout: timeoutMs,
        env: {
          ...process.env,
          SHERPA_ONNX_NODE: sherpaEntry,
          SHERPA_KIND: kind,
          SHERPA_CONFIG: JSON.stringify(config),
        },
        maxBuffer: 4 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const ok = !error && stdout.includes('loaded');
        const lastLines = stderr.trim().split('\n').slice(-3).join(' | ');
        resolve({ ok, detail: ok ? '' : lastLines || String(error) });
      },
    );
  });
}
