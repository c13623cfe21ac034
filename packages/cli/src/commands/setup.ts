import { createInterface } from 'node:readline/promises';
import type { Command } from '../command.ts';
import {
  BROWSER_TEST_PACKAGES,
  EMBEDDED_DEBIAN_PACKAGES,
  installCommand,
  installPackages,
  installVoicePackages,
  missingPackages,
  VOICE_DEBIAN_PACKAGES,
  VOICE_PACKAGE_NAMES,
  voicesInstallCommand,
} from '../system-packages.ts';

function printLicences(missing: readonly string[]): void {
  console.log('Better voices from Debian non-free (all redistributable):');
  for (const p of VOICE_DEBIAN_PACKAGES)
    if (missing.includes(p.name))
      console.log(`  ${p.name.padEnd(30)} ${p.licence}\n  ${''.padEnd(30)} ${p.what}`);
  console.log('  (full texts: /usr/share/doc/<package>/copyright once installed)');
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** The voices part: licences, consent, then an install that leaves apt's sources as they were. */
async function setupVoices(check: boolean, yes: boolean): Promise<number> {
  const missing = missingPackages(VOICE_PACKAGE_NAMES);
  if (missing.length === 0) {
    console.log('babelcast setup: the better voices (SVOX Pico, RHVoice) are installed.');
    return 0;
  }
  if (check) {
    console.log(
      `babelcast setup: voice packages not installed (optional): ${missing.join(' ')}\n  babelcast setup --voices`,
    );
    return 1;
  }
  printLicences(missing);
  if (!yes && !(await confirm('Install them? [y/N] '))) {
    console.log(
      process.stdin.isTTY
        ? 'Not installed. flite and espeak-ng keep speaking.'
        : 'Not installed: no terminal to ask (use --yes to agree).',
    );
    return 1;
  }
  if (installVoicePackages(missing, (l) => console.log(l))) return 0;
  console.error(
    `babelcast setup: could not install the voices (not root and no passwordless sudo, or the archive is unreachable). Or, adding one sources file:\n  ${voicesInstallCommand(missing)}`,
  );
  return 1;
}

export const setup: Command = {
  name: 'setup',
  summary:
    'install the Debian packages the embedded engines need (--voices: better voices from non-free; --tests: what the tests need)',
  usage: 'setup [--voices [--yes]] [--tests] [--check]',
  options: {
    tests: { type: 'boolean' },
    check: { type: 'boolean' },
    voices: { type: 'boolean' },
    yes: { type: 'boolean', short: 'y' },
  },
  help: [
    '      --voices             also install SVOX Pico and RHVoice from Debian non-free (prints their',
    '                           licences and asks first); apt sources are left unchanged',
    '  -y, --yes                agree to the voice licences without asking',
    '      --tests              also install Chromium and the voices for the tests (agrees for you)',
    '      --check              only report what is missing (exit 1 if anything is)',
  ].join('\n'),
  async run({ values }) {
    const check = values.check === true;
    const wanted = [...EMBEDDED_DEBIAN_PACKAGES, ...(values.tests ? BROWSER_TEST_PACKAGES : [])];
    const missing = missingPackages(wanted);
    let status = 0;
    if (missing.length === 0) {
      console.log('babelcast setup: all Debian packages are installed.');
    } else if (check) {
      console.log(
        `babelcast setup: missing Debian packages: ${missing.join(' ')}\n  ${installCommand(missing)}`,
      );
      status = 1;
    } else {
      console.log(`babelcast setup: installing missing Debian packages: ${missing.join(' ')}`);
      if (!installPackages(missing, (l) => console.log(l))) {
        console.error(
          `babelcast setup: could not install them (not root and no passwordless sudo). Run:\n  ${installCommand(missing)}`,
        );
        status = 1;
      }
    }
    // The tests exercise the better voices and the fallback, so they install the voices too.
    if (values.voices || values.tests) {
      const voices = await setupVoices(check, values.yes === true || values.tests === true);
      status ||= voices;
    }
    return status;
  },
};
