/**
 * Test fixture for threaded-asr.test.ts: a recogniser whose every utterance fails with an
 * EngineError, recoverable or not as configured, to check the worker passes the flag through.
 */
import type { AsrStream, AsrStreamOptions } from '../asr.ts';
import { EngineError } from '../engine.ts';
import { FakeAsr } from '../fakes/fake-asr.ts';

export class FailingAsr extends FakeAsr {
  constructor(private readonly failure: { recoverable: boolean }) {
    super();
  }

  override createStream(options: AsrStreamOptions): AsrStream {
    const stream = super.createStream(options);
    return {
      ...stream,
      finishUtterance: async () => {
        throw new EngineError('failing', 'this utterance cannot be recognised', this.failure.recoverable);
      },
    };
  }
}
