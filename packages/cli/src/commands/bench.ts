/** `babelcast bench`: placeholder replaced below. */
import type { Command } from '../command.ts';

export const bench: Command = {
  name: 'bench',
  summary: 'run the benchmark suite',
  usage: 'bench',
  options: {},
  help: '',
  async run() {
    return 0;
  },
};
