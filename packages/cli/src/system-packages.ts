/**
 * The Debian packages the embedded engines need. `babelcast start` checks them and installs what
 * is missing (as root, or with passwordless sudo), saying so; otherwise it prints the command.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

/**
 * Better voices, from Debian's non-free component (`babelcast setup --voices`; the tests install
 * them too). Optional: without them flite and espeak-ng speak. What each is licensed under is
 * printed before installing.
 */
export const VOICE_DEBIAN_PACKAGES = [
  { name: 'libttspico-utils', licence: 'Apache-2.0', what: 'SVOX Pico engine and pico2wave' },
  {
    name: 'libttspico-data',
    licence: 'Apache-2.0',
    what: 'SVOX Pico lingware: es, fr, it, de, en-US, en-GB',
  },
  { name: 'rhvoice', licence: 'LGPL-2.1+', what: 'RHVoice engine and RHVoice-test' },
  {
    name: 'rhvoice-english',
    licence: 'LGPL-2.1+ (voices slt, bdl, clb used; evgeniy-eng and lyubov are CC-BY-NC-ND and never used)',
    what: 'RHVoice English voices',
  },
  {
    name: 'rhvoice-brazilian-portuguese',
    licence: 'CC-BY-SA-4.0',
    what: 'RHVoice Letícia-F123 voice (pt-BR)',
  },
] as const;

export const VOICE_PACKAGE_NAMES = VOICE_DEBIAN_PACKAGES.map((p) => p.name);

/** The one sources file the printed manual command adds, named so it is clear what it is for. */
export const VOICES_SOURCES_FILE = '/etc/apt/sources.list.d/babelcast-voices-non-free.list';

/** Where this machine's Debian archive is, and its release: non-free is served by the same archive. */
export function debianArchive(): { uri: string; suite: string; signedBy: string | undefined } {
  const release =
    readFileSync('/etc/os-release', 'utf8').match(/^VERSION_CODENAME=(\S+)/m)?.[1] ?? 'bookworm';
  const texts: string[] = [];
  for (const f of ['/etc/apt/sources.list', ...listDir('/etc/apt/sources.list.d')])
    if (/\.(list|sources)$/.test(f) && existsSync(f)) texts.push(readFileSync(f, 'utf8'));
  for (const text of texts) {
    // deb822: a stanza with URIs / Suites (/ Signed-By).
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (k: string) => stanza.match(new RegExp(`^${k}:\\s*(.+)$`, 'mi'))?.[1]?.trim();
      const suites = field('Suites')?.split(/\s+/) ?? [];
      const uri = field('URIs')?.split(/\s+/)[0];
      if (uri && suites.includes(release) && /debian\/?$/.test(uri))
        return { uri, suite: release, signedBy: field('Signed-By') };
    }
    // one-line format: deb [options] URI SUITE COMPONENTS…
    for (const line of text.split('\n')) {
      const m = line.match(/^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s/);
      if (m && m[3] === release && /debian\/?$/.test(m[2]!))
        return { uri: m[2]!, suite: release, signedBy: m[1]?.match(/signed-by=(\S+)/)?.[1] };
    }
  }
  return { uri: 'http://deb.debian.org/debian', suite: release, signedBy: undefined };
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** The line of a sources file that reaches main and non-free of this machine's archive. */
export function nonFreeSourcesLine(): string {
  const a = debianArchive();
  const options = a.signedBy ? `[signed-by=${a.signedBy}] ` : '';
  return `deb ${options}${a.uri} ${a.suite} main non-free`;
}

export function voicesInstallCommand(packages: readonly string[]): string {
  return `echo '${nonFreeSourcesLine()}' | sudo tee ${VOICES_SOURCES_FILE} && sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages.join(' ')}`;
}

/**
 * Installs voice packages from non-free without changing the machine's apt sources: apt reads a
 * private configuration (a sources list with main and non-free of the same archive, and its own
 * package lists) for this one install, then it is deleted. Returns false if it could not.
 */
export function installVoicePackages(packages: readonly string[], log: (line: string) => void): boolean {
  if (packages.length === 0) return true;
  const dir = mkdtempSync(join(tmpdir(), 'babelcast-apt-'));
  try {
    mkdirSync(join(dir, 'lists', 'partial'), { recursive: true });
    mkdirSync(join(dir, 'sources.list.d'));
    writeFileSync(join(dir, 'sources.list'), `${nonFreeSourcesLine()}\n`);
    writeFileSync(
      join(dir, 'apt.conf'),
      [
        `Dir::Etc::SourceList "${join(dir, 'sources.list')}";`,
        `Dir::Etc::SourceParts "${join(dir, 'sources.list.d')}";`,
        `Dir::State::Lists "${join(dir, 'lists')}";`,
        // No shared package caches built from these private lists.
        'Dir::Cache::pkgcache "";',
        'Dir::Cache::srcpkgcache "";',
        '',
      ].join('\n'),
    );
    log(`Reading Debian main and non-free for this install only (${nonFreeSourcesLine()})`);
    return installPackages(packages, log, { APT_CONFIG: join(dir, 'apt.conf') }, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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
export function installPackages(
  packages: readonly string[],
  log: (line: string) => void,
  env: Record<string, string> = {},
  updateFirst = false,
): boolean {
  if (packages.length === 0) return true;
  const isRoot = process.getuid?.() === 0;
  const sudo = !isRoot && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!isRoot && !sudo) return false;
  const prefix = isRoot ? [] : ['sudo', '-n', ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
  const run = (args: string[]) => {
    const [cmd, ...rest] = [...prefix, ...args];
    const r = spawnSync(cmd!, rest, {
      stdio: ['ignore', 'inherit', 'inherit'],
      // sudo keeps APT_CONFIG only when passed on its command line (below).
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', ...env },
    });
    return r.status === 0;
  };
  log(`Installing Debian packages: ${packages.join(' ')}`);
  if (updateFirst && !run(['apt-get', 'update'])) return false;
  if (!run(['apt-get', 'install', '-y', '--no-install-recommends', ...packages])) {
    log('apt-get install failed; refreshing the package lists and trying again');
    if (!run(['apt-get', 'update'])) return false;
    if (!run(['apt-get', 'install', '-y', '--no-install-recommends', ...packages])) return false;
  }
  return missingPackages(packages).length === 0;
}
