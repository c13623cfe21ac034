export * from './conformance.ts';
export * from './shared-data.ts';
export * from './store-conformance.ts';
export * from './mt-order.ts';
export * from './bus-conformance.ts';
export * from './defaults.ts';
