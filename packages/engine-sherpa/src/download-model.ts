/**
 * Operator-triggered model download (`babelcast models download <name>` calls this): stream the
 * archive to disk while hashing it, check size and sha256 when the catalog knows them, unpack with
 * the system `tar`, check every file the recogniser needs is there, then move the folder into place.
 * Nothing is left half-installed: the final folder appears only after all checks pass.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { promisify } from 'node:util';
import {
  type AsrModel,
  findModel,
  type ModelCatalog,
  modelCatalog,
  modelDir,
  modelFiles,
} from './model-catalog.ts';

const run = promisify(execFile);

export interface DownloadOptions {
  catalog?: ModelCatalog;
  /** Injected in tests; the global fetch otherwise. */
  fetch?: typeof fetch;
  onProgress?: (receivedBytes: number, totalBytes: number | null) => void;
  signal?: AbortSignal;
}

export interface DownloadResult {
  dir: string;
  /** sha256 of the archive as received (record it in models.json when the catalog has null). */
  sha256: string | null;
  /** True when the archive matched a published sha256; false when the catalog had none. */
  verified: boolean;
  alreadyInstalled: boolean;
}

export function missingFiles(modelsDir: string, model: AsrModel): string[] {
  return Object.values(modelFiles(modelsDir, model)).filter((f) => !existsSync(f));
}

export async function downloadModel(
  name: string,
  modelsDir: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const catalog = options.catalog ?? modelCatalog();
  const model = findModel(name, catalog);
  if (!model) {
    throw new Error(`unknown model "${name}"; known: ${catalog.models.map((m) => m.name).join(', ')}`);
  }
  const finalDir = modelDir(modelsDir, model);
  if (existsSync(finalDir) && missingFiles(modelsDir, model).length === 0) {
    return { dir: finalDir, sha256: null, verified: false, alreadyInstalled: true };
  }
  await mkdir(modelsDir, { recursive: true });
  const archive = join(modelsDir, `.${model.name}.download`);
  const staging = join(modelsDir, `.${model.name}.extracting`);
  try {
    const sha256 = await fetchArchive(model, archive, options);
    if (model.sha256 && sha256 !== model.sha256) {
      throw new Error(`checksum mismatch for ${model.name}: expected ${model.sha256}, got ${sha256}`);
    }
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    // GNU tar detects the compression (bzip2 upstream today) from the archive itself.
    await run('tar', ['-xf', archive, '-C', staging], { signal: options.signal });
    const unpacked = join(staging, model.name);
    const stillMissing = missingFiles(staging, model);
    if (!existsSync(unpacked) || stillMissing.length > 0) {
      throw new Error(
        `archive for ${model.name} does not contain ${stillMissing.map((f) => f.slice(staging.length + 1)).join(', ') || model.name}`,
      );
    }
    await rm(finalDir, { recursive: true, force: true });
    await rename(unpacked, finalDir);
    return { dir: finalDir, sha256, verified: model.sha256 !== null, alreadyInstalled: false };
  } finally {
    await rm(archive, { force: true });
    await rm(staging, { recursive: true, force: true });
  }
}

async function fetchArchive(model: AsrModel, target: string, options: DownloadOptions): Promise<string> {
  const response = await (options.fetch ?? fetch)(model.url, { signal: options.signal, redirect: 'follow' });
  if (!response.ok || !response.body) {
    throw new Error(`download of ${model.name} failed: HTTP ${response.status} from ${model.url}`);
  }
  const header = Number(response.headers.get('content-length'));
  const total = model.sizeBytes ?? (Number.isFinite(header) && header > 0 ? header : null);
  const hash = createHash('sha256');
  let received = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      received += chunk.length;
      options.onProgress?.(received, total);
      done(null, chunk);
    },
  });
  await pipeline(
    Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
    meter,
    createWriteStream(target),
    { signal: options.signal },
  );
  if (model.sizeBytes !== null && received !== model.sizeBytes) {
    throw new Error(`download of ${model.name} is ${received} bytes, expected ${model.sizeBytes}`);
  }
  return hash.digest('hex');
}
