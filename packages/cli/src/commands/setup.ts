import type { Command } from '../command.ts';
import {
  BROWSER_TEST_PACKAGES,
  EMBEDDED_DEBIAN_PACKAGES,
  installCommand,
  installPackages,
  missingPackages,
} from '../system-packages.ts';

export const setup: Command = {
  name: 'setup',
  summary: 'install the Debian packages the embedded engines (and, with --tests, the browser tests) need',
  usage: 'setup [--tests] [--check]',
  options: { tests: { type: 'boolean' }, check: { type: 'boolean' } },
  help: '      --tests              also install Chromium for the browser tests\n      --check              only report what is missing (exit 1 if anything is)',
  async run({ values }) {
    const wanted = [...EMBEDDED_DEBIAN_PACKAGES, ...(values.tests ? BROWSER_TEST_PACKAGES : [])];
    const missing = missingPackages(wanted);
    if (missing.length === 0) {
      console.log('babelcast setup: all Debian packages are installed.');
      return 0;
    }
    if (values.check) {
      console.log(
        `babelcast setup: missing Debian packages: ${missing.join(' ')}\n  ${installCommand(missing)}`,
      );
      return 1;
    }
    console.log(`babelcast setup: installing missing Debian packages: ${missing.join(' ')}`);
    if (installPackages(missing, (l) => console.log(l))) return 0;
    console.error(
      `babelcast setup: could not install them (not root and no passwordless sudo). Run:\n  ${installCommand(missing)}`,
    );
    return 1;
  },
};
