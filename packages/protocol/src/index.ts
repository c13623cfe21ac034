export * from './close-codes.ts';
export * from './error-codes.ts';
export * from './frames.ts';
export * from './http.ts';
export * from './languages.ts';
export * from './messages.ts';
export * from './transcript.ts';
export * from './version.ts';
