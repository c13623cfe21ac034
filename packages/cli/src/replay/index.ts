export * from './connection.ts';
export * from './engine-runs.ts';
export * from './metrics.ts';
export * from './replay.ts';
export * from './speaker-audio.ts';
export * from './stats.ts';
export * from './summary.ts';
export type * from './types.ts';
