/**
 * The Debian packages the embedded engines need. `babelcast start` checks them and installs what
 * is missing (as root, or with passwordless sudo), saying so; otherwise it prints the command.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export const EMBEDDED_DEBIAN_PACKAGES = [
  // Speech recognition (English), through koffi.
  'libpocketsphinx3',
  'pocketsphinx-en-us',
  // Translation: the apertium-apy server and the language pairs it serves (others pivot via Spanish).
  'apertium-apy',
  'apertium-en-es',
  'apertium-en-ca',
  'apertium-en-gl',
  'apertium-es-ca',
  'apertium-es-pt',
  'apertium-es-it',
  'apertium-fr-es',
  // More targets through the Spanish pivot (captions; a voice where espeak-ng has one).
  'apertium-eo-en',
  'apertium-oc-es',
  'apertium-spa-ast',
  'apertium-spa-arg',
  // Voices: flite for English, espeak-ng for the rest.
  'espeak-ng',
  'flite',
] as const;

/** Headless Chromium for the page tests (Playwright drives Debian's build; it downloads nothing). */
export const BROWSER_TEST_PACKAGES = ['chromium'] as const;

export function missingPackages(packages: readonly string[]): string[] {
  return packages.filter((p) => {
    try {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax, not a JS template
      const status = execFileSync('dpkg-query', ['-W', '-f=${Status}', p], {
        stdio: ['ignore', 'pipe', 'ignore'],
      }).toString();
      return !status.includes('install ok installed');
    } catch {
      return true;
    }
  });
}

export function installCommand(packages: readonly string[]): string {
  return `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages.join(' ')}`;
}

/** Installs with apt-get, streaming its output. Returns false if it could not (not root, no sudo). */
export function installPackages(packages: readonly string[], log: (line: string) => void): boolean {
  if (packages.length === 0) return true;
  const isRoot = process.getuid?.() === 0;
  const sudo = !isRoot && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!isRoot && !sudo) return false;
  const prefix = isRoot ? [] : ['sudo', '-n'];
  const run = (args: string[]) => {
    const [cmd, ...rest] = [...prefix, ...args];
    const r = spawnSync(cmd!, rest, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    return r.status === 0;
  };
  log(`Installing Debian packages: ${packages.join(' ')}`);
  if (!run(['apt-get', 'install', '-y', '--no-install-recommends', ...packages])) {
    log('apt-get install failed; refreshing the package lists and trying again');
    if (!run(['apt-get', 'update'])) return false;
    if (!run(['apt-get', 'install', '-y', '--no-install-recommends', ...packages])) return false;
  }
  return missingPackages(packages).length === 0;
}
