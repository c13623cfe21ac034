export * from './auth.ts';
export * from './config.ts';
export * from './engines.ts';
export * from './server.ts';
export * from './worker.ts';
