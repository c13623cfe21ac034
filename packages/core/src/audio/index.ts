export * from './pcm.ts';
export * from './resampler.ts';
export * from './wav.ts';
