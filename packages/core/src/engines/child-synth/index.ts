export * from './child-process-voice.ts';
export * from './synth-process.ts';
export * from './voice-controls.ts';
export * from './wav-stream-parser.ts';
export * from './voice-spawner.ts';
