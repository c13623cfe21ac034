export { ApertiumMt, type ApertiumMtOptions } from './apertium-mt.ts';
export type { GroupMemory } from './process-group.ts';
