import { describeStoreConformance } from '../testing/store-conformance.ts';
import { MemoryStore } from './memory-store.ts';

describeStoreConformance('memory', async () => new MemoryStore());
