import type { Command } from '../command.ts';
import { certCreate } from './cert.ts';
import { bench } from './bench.ts';
import { doctor } from './doctor.ts';
import { modelsDownload, modelsList } from './models.ts';
import { replayCommand } from './replay.ts';
import { sessionsEnd, sessionsList } from './sessions.ts';
import { setup } from './setup.ts';
import { start } from './start.ts';
import { transcribe } from './transcribe.ts';
import { translate } from './translate.ts';
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
  replayCommand,
  transcribe,
  translate,
  bench,
  setup,
  modelsList,
  modelsDownload,
  certCreate,
];
