/**
 * Bundles the pages with esbuild into `apps/web/dist/assets`. Node code runs from TypeScript via
 * tsx, but browsers need one JS file per page, so this is the only build step, and it runs by
 * itself when the server starts with stale or missing assets (it takes well under a second).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

/**
 * The protocol package's modules only declare constants, schemas and functions. Saying so lets
 * esbuild drop the zod schemas the pages never call (zod would be most of the bundle, and the
 * listener page is opened on phones).
 */
const pureProtocol: Plugin = {
  name: 'pure-protocol',
  setup(b) {
    b.onResolve({ filter: /^@babelcast\/protocol$/ }, async (args) => {
      if (args.pluginData === 'pure-protocol') return undefined;
      const r = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        pluginData: 'pure-protocol',
      });
      return { ...r, sideEffects: false };
    });
    b.onResolve({ filter: /\.ts$/ }, (args) =>
      args.importer.includes('/packages/protocol/src/')
        ? { path: resolve(args.resolveDir, args.path), sideEffects: false }
        : undefined,
    );
  },
};

const webRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST_DIR = join(webRoot, 'dist');
/** Names the folder holding the current bundle; replaced atomically by each build. */
const POINTER = join(DIST_DIR, 'current.json');
const STAMP = 'build.json';
/** Sources whose change makes the bundle stale: the pages and the protocol they import. */
const SOURCE_DIRS = [join(webRoot, 'src/pages'), resolve(webRoot, '../../packages/protocol/src')];

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const s = await stat(join(entry.parentPath, entry.name));
    newest = Math.max(newest, s.mtimeMs);
  }
  return newest;
}

/** The folder of the current bundle if it is newer than every source, else null. */
export async function freshAssetsDir(): Promise<string | null> {
  try {
    const { dir } = JSON.parse(await readFile(POINTER, 'utf8')) as { dir: string };
    const assets = join(DIST_DIR, dir);
    const built = (await stat(join(assets, STAMP))).mtimeMs;
    for (const src of SOURCE_DIRS) if ((await newestMtime(src)) > built) return null;
    return assets;
  } catch {
    return null;
  }
}

/**
 * Each build gets its own folder and then a pointer file is renamed over `current.json`, so a
 * server never reads a half-written bundle and processes building at once (parallel test workers)
 * cannot mix or delete each other's files.
 */
export async function buildWebAssets(options: { minify?: boolean } = {}): Promise<string> {
  const minify = options.minify ?? true;
  await mkdir(DIST_DIR, { recursive: true });
  const name = `assets-${Date.now()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const tmp = join(DIST_DIR, name);
  const pages = join(webRoot, 'src/pages');
  const common = {
    bundle: true,
    minify,
    sourcemap: 'linked' as const,
    target: ['chrome100', 'firefox100', 'safari15'],
    logLevel: 'silent' as const,
    legalComments: 'none' as const,
    plugins: [pureProtocol],
  };
  try {
    await build({
      ...common,
      entryPoints: {
        speaker: join(pages, 'speaker/main.ts'),
        listener: join(pages, 'listener/main.ts'),
        app: join(pages, 'styles.css'),
      },
      outdir: tmp,
      format: 'esm',
      // The WASM Opus decoder is a separate chunk, loaded only by browsers without WebCodecs.
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      platform: 'browser',
    });
    await build({
      ...common,
      entryPoints: { 'capture-worklet': join(pages, 'speaker/capture-worklet.ts') },
      outdir: tmp,
      // AudioWorkletGlobalScope has no module loader for chunks: one self-contained file.
      format: 'iife',
      platform: 'neutral',
    });
    await writeFile(join(tmp, STAMP), JSON.stringify({ builtAt: new Date().toISOString(), minify }));
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  const pointerTmp = `${POINTER}.${name}`;
  await writeFile(pointerTmp, JSON.stringify({ dir: name }));
  await rename(pointerTmp, POINTER);
  await removeOldBuilds(name);
  return tmp;
}

/** Old bundles are kept a minute in case another process is still reading one. */
async function removeOldBuilds(keep: string): Promise<void> {
  const cutoff = Date.now() - 60_000;
  for (const entry of await readdir(DIST_DIR, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.startsWith('assets-') || entry.name === keep) continue;
    const path = join(DIST_DIR, entry.name);
    const s = await stat(path).catch(() => null);
    if (s && s.mtimeMs < cutoff) await rm(path, { recursive: true, force: true });
  }
}

let pending: Promise<string> | null = null;

/** Build unless the bundle is newer than every source; concurrent callers share one build. */
export function ensureWebAssets(): Promise<string> {
  pending ??= (async () => {
    return (await freshAssetsDir()) ?? (await buildWebAssets());
  })().finally(() => {
    pending = null;
  });
  return pending;
}
