export { ApertiumMt, type ApertiumMtOptions } from './apertium-mt.ts';
