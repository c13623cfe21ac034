/**
 * One finished piece of transcript, source or translation, as it is stored and exported. Shared by
 * the pipeline (which makes it), the stores (which keep it) and transcript export, so that none of
 * them imports another's internals.
 */
export interface TranscriptSegment {
  sessionId: string;
  segmentId: number;
  seq: number;
  lang: string;
  kind: 'source' | 'translation';
  text: string;
  mediaStartMs: number;
  mediaEndMs: number;
  createdAt: number;
}
