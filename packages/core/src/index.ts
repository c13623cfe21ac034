export * from './audio/index.ts';
export * from './engines/fakes/index.ts';
export * from './engines/index.ts';
export * from './text/scoring.ts';
