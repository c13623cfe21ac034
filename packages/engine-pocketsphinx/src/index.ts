export { hypothesisText, spokenWord } from './hypothesis-words.ts';
export { PocketsphinxAsr, type PocketsphinxAsrOptions } from './pocketsphinx-asr.ts';
