export * from './conformance.ts';
export * from './shared-data.ts';
