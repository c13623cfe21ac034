/**
 * Writes one TypeScript project per workspace (`<workspace>/tsconfig.json`) whose references are
 * exactly the @babelcast packages its package.json declares. `tsc -b` then refuses an import of
 * a package that is not declared: the imported file belongs to a project that is not referenced
 * (TS6307), so the boundary in package.json is enforced by the compiler, not by review.
 *
 * Tests that import a package downstream of their own (apps/web's browser tests start the
 * server, and the server serves the web pages) would make a cycle, which project references
 * forbid; such a workspace gets a second project for its tests.
 *
 * Run: `npx tsx tools/project-references.ts` to write, `--check` to fail when a file is stale.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { root, workspaceDirs } from './workspaces.ts';

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface Workspace {
  name: string;
  dir: string;
  runtime: string[];
  dev: string[];
}

function workspaces(): Workspace[] {
  const dirs = workspaceDirs();
  const ours = (deps: Record<string, string> | undefined) =>
    Object.keys(deps ?? {}).filter((d) => d.startsWith('@babelcast/'));
  return dirs
    .filter((dir) => existsSync(join(root, dir, 'package.json')))
    .map((dir) => {
      const m = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as Manifest;
      return { name: m.name, dir, runtime: ours(m.dependencies), dev: ours(m.devDependencies) };
    });
}

/** True when `from` reaches `to` through runtime dependencies. */
function reaches(
  byName: Map<string, Workspace>,
  from: string,
  to: string,
  seen = new Set<string>(),
): boolean {
  if (from === to) return true;
  if (seen.has(from)) return false;
  seen.add(from);
  return (byName.get(from)?.runtime ?? []).some((d) => reaches(byName, d, to, seen));
}

function project(
  at: string,
  include: string[],
  references: string[],
  outDir: string,
  exclude?: string[],
  rootDir = '.',
): string {
  const config = {
    extends: relative(at, join(root, 'tsconfig.base.json')),
    compilerOptions: { rootDir, outDir: relative(at, join(root, '.tsbuild', outDir)) },
    include,
    ...(exclude ? { exclude } : {}),
    references: references.map((path) => ({ path: relative(at, join(root, path)) })),
  };
  return pretty(config);
}

/** JSON with each reference and each short list on one line, so a diff shows what changed. */
function pretty(value: unknown): string {
  return `${JSON.stringify(value, null, 2)
    .replace(/\{\n\s+"path": ("[^"]+")\n\s+\}/g, '{ "path": $1 }')
    .replace(/\[\n\s+("[^"\n]+")\n\s+\]/g, '[$1]')}\n`;
}

export function projectFiles(): Map<string, string> {
  const all = workspaces();
  const byName = new Map(all.map((w) => [w.name, w]));
  const dirOf = (name: string) => {
    const w = byName.get(name);
    if (!w) throw new Error(`${name} is declared but is not a workspace`);
    return w.dir;
  };
  const files = new Map<string, string>();
  for (const w of all) {
    const at = join(root, w.dir);
    const cyclic = w.dev.filter((d) => reaches(byName, d, w.name));
    const include = ['**/*.ts'];
    if (cyclic.length === 0) {
      const refs = [...new Set([...w.runtime, ...w.dev])].sort().map(dirOf);
      files.set(join(w.dir, 'tsconfig.json'), project(at, include, refs, w.dir, ['node_modules', 'results']));
      continue;
    }
    // Sources alone, then the tests as a project of their own that may reach downstream packages.
    files.set(
      join(w.dir, 'tsconfig.json'),
      project(at, ['src/**/*.ts'], w.runtime.sort().map(dirOf), w.dir, ['src/**/*.test.ts']),
    );
    const testAt = join(at, 'test');
    const testRefs = [w.dir, ...[...new Set([...w.runtime, ...w.dev])].sort().map(dirOf)];
    files.set(
      join(w.dir, 'test', 'tsconfig.json'),
      project(testAt, ['**/*.ts', '../src/**/*.test.ts'], testRefs, `${w.dir}-test`, undefined, '..'),
    );
  }
  // The repository's own scripts (this one, the vitest config) import no workspace.
  files.set(
    join('tools', 'tsconfig.json'),
    project(join(root, 'tools'), ['*.ts', '../vitest.config.ts'], [], 'tools', undefined, '..'),
  );
  const solution = {
    files: [],
    references: [...files.keys()].map((f) => ({ path: f.replace(/\/tsconfig\.json$/, '') })),
  };
  files.set('tsconfig.json', pretty(solution));
  return files;
}

const check = process.argv.includes('--check');
const stale: string[] = [];
for (const [file, text] of projectFiles()) {
  const path = join(root, file);
  const now = existsSync(path) ? readFileSync(path, 'utf8') : '';
  if (now === text) continue;
  if (check) stale.push(file);
  else writeFileSync(path, text);
}
if (stale.length > 0) {
  console.error(`stale TypeScript projects (run npx tsx tools/project-references.ts): ${stale.join(', ')}`);
  process.exitCode = 1;
}
