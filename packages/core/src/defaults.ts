/**
 * The defaults of the settings core classes take. The server's config schema is the one place
 * that applies them (its `.default(…)`s read these values); the classes take resolved values and
 * hold no defaults of their own. Tests that build the classes directly start from these objects,
 * so a test runs with what a server started without a config file would use.
 */
import type { HubLimits } from './hub/session-hub.ts';
import type { PipelineSettings } from './pipeline/session-pipeline.ts';
import {
  DEFAULT_ENDPOINTING,
  DEFAULT_MAX_ASR_BACKLOG_SECONDS,
  DEFAULT_MODE,
  DEFAULT_SIMULTANEOUS,
  DEFAULT_TRACK,
  DEFAULT_VOICE,
} from './pipeline/tuning.ts';

export const DEFAULT_HUB: HubLimits = {
  historySize: 500,
  audioDropBytes: 32 * 1024,
  maxBufferedBytes: 1024 * 1024,
  stuckMs: 15_000,
  demandGraceMs: 15_000,
};

/** Target languages a session may offer, besides its source language. */
export const DEFAULT_MAX_LANGUAGES_PER_SESSION = 10;

/** The pipeline slice as the server derives it from a config with every default. */
export const DEFAULT_PIPELINE: PipelineSettings = {
  endpointing: DEFAULT_ENDPOINTING,
  track: DEFAULT_TRACK,
  mode: DEFAULT_MODE,
  simultaneous: DEFAULT_SIMULTANEOUS,
  voice: DEFAULT_VOICE,
  backlog: { highSeconds: DEFAULT_MAX_ASR_BACKLOG_SECONDS, lowSeconds: DEFAULT_MAX_ASR_BACKLOG_SECONDS / 2 },
};
