import type { Command } from '../command.ts';
import { doctor } from './doctor.ts';
import { sessionsEnd, sessionsList } from './sessions.ts';
import { setup } from './setup.ts';
import { start } from './start.ts';
import { tokenCreate, tokenList, tokenRevoke } from './token.ts';

/** Every command, in the order `babelcast --help` lists them. Adding a command: one line here. */
export const COMMANDS: Command[] = [
  start,
  tokenCreate,
  tokenList,
  tokenRevoke,
  sessionsList,
  sessionsEnd,
  doctor,
  setup,
];
