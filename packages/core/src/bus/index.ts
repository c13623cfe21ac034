export * from './bus.ts';
export * from './subjects.ts';
