/**
 * What tests build core classes with: the config's defaults (../defaults.ts), so a test runs as a
 * server started without a config file would, plus the few things a server decides per node.
 */
import { DEFAULT_HUB, DEFAULT_MAX_LANGUAGES_PER_SESSION, DEFAULT_PIPELINE } from '../defaults.ts';
import { COUNTS_DEBOUNCE_MS } from '../hub/session-hub.ts';
import type { PipelineSettings } from '../pipeline/session-pipeline.ts';

/** No warm-up: a test counts every engine call, and the fakes need none. */
export const TEST_PIPELINE: PipelineSettings = {
  ...DEFAULT_PIPELINE,
  track: { ...DEFAULT_PIPELINE.track, warmUp: false },
};

/** A SessionHub's settings apart from its session, bus and clock. */
export const TEST_HUB = { ...DEFAULT_HUB, gatewayId: 'local', countsDebounceMs: COUNTS_DEBOUNCE_MS };

/** A SessionRegistry's node settings: one process (role all), transcripts not logged. */
export const TEST_REGISTRY = {
  gatewayId: 'local',
  pipelines: { kind: 'local' } as const,
  pipeline: TEST_PIPELINE,
  hub: DEFAULT_HUB,
  logTranscripts: false,
  maxLanguagesPerSession: DEFAULT_MAX_LANGUAGES_PER_SESSION,
};
