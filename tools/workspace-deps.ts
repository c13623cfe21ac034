/**
 * Every workspace declares the @babelcast packages it imports (in dependencies, or in
 * devDependencies when only its tests import them). npm workspaces link every package for
 * everyone, so an undeclared import works here and breaks for anyone who installs the package
 * alone. Run: `npx tsx tools/workspace-deps.ts`; exits 1 and lists the gaps when there are any.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { root, workspaceDirs } from './workspaces.ts';

const IMPORT = /(?:from|import)\s*\(?\s*'(@babelcast\/[a-z0-9-]+)(?:\/[^']*)?'/g;

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry === 'results') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|js|mjs)$/.test(entry)) out.push(path);
  }
  return out;
}

const isTest = (file: string) => /\.test\.ts$|\/test\/|\/testing\//.test(file);

export function undeclaredImports(): string[] {
  const problems: string[] = [];
  for (const dir of workspaceDirs().map((d) => join(root, d))) {
    let manifest: Manifest;
    try {
      manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
    } catch {
      continue;
    }
    const runtime = { ...manifest.dependencies, ...manifest.peerDependencies };
    const any = { ...runtime, ...manifest.devDependencies };
    for (const file of sourceFiles(dir)) {
      for (const [, pkg] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        if (!pkg || pkg === manifest.name) continue;
        const declared = isTest(file) ? pkg in any : pkg in runtime;
        if (!declared) problems.push(`${manifest.name}: ${relative(root, file)} imports ${pkg}`);
      }
    }
  }
  return [...new Set(problems)];
}

const problems = undeclaredImports();
for (const p of problems) console.log(p);
if (problems.length > 0) process.exitCode = 1;
