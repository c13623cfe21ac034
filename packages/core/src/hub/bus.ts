/**
 * Moved to core/src/bus/ (typed subjects per direction). This re-export only keeps imports that
 * are still in flight compiling; import from '../bus/index.ts' instead. To be removed.
 */
export * from '../bus/index.ts';
