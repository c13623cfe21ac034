/**
 * Everything a Store implementation is written against, for one namespace import
 * (`import type * as contract`): the Store interface, its records and filters, and the protocol
 * types it keeps. The memory, SQLite and PostgreSQL stores each import this instead of listing
 * the same nine names.
 */
export type { SessionState, TranscriptSegment } from '@babelcast/protocol';
export type {
  ApiTokenRecord,
  SegmentFilter,
  SessionFilter,
  SessionRecord,
  SessionStatePatch,
  SpeakerRecord,
  Store,
} from './store.ts';
