/** The repository's workspaces, as the root package.json lists them, for the checks in tools/. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..');

/** Every workspace folder, relative to the root (`packages/*` and `apps/*` expanded, sorted; `bench`). */
export function workspaceDirs(): string[] {
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    workspaces: string[];
  };
  return workspaces.flatMap((pattern) =>
    pattern.endsWith('/*')
      ? readdirSync(join(root, pattern.slice(0, -2)))
          .sort()
          .map((name) => join(pattern.slice(0, -2), name))
      : [pattern],
  );
}
