/**
 * The MT contract the pipeline relies on when it translates several sentences at once: every call
 * gets the translation of its own text. Kept apart from the vitest suite so a test can show that it
 * catches a translator that hands out another request's answer.
 */
import type { MtEngine } from '../engines/mt.ts';

const SENTENCES = ['One cat.', 'Two dogs.', 'Three houses.', 'Four cars.'];

export class MtOrderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MtOrderError';
  }
}

/**
 * Throws MtOrderError unless each concurrent call answers with what the same text gives alone.
 *
 * - Each sentence is translated alone first (the reference), and one of them twice in a row: a
 *   translator that answers with the previous call's result gives two different answers there.
 * - The references must differ from each other, or a mix-up could not be seen at all.
 * - Then all sentences at once, in order and in reverse order: each answer must be its own reference.
 */
export async function checkMtKeepsOrder(
  mt: MtEngine,
  from: string,
  to: string,
  sentences: readonly string[] = SENTENCES,
): Promise<void> {
  const translate = (text: string) => mt.translate({ text, from, to });
  const alone: string[] = [];
  for (const text of sentences) alone.push(await translate(text));
  const again = await translate(sentences[0]!);
  if (again !== alone[0])
    throw new MtOrderError(
      `the same sentence translated twice in a row gave ${JSON.stringify(alone[0])} then ${JSON.stringify(again)}`,
    );
  if (new Set(alone).size !== alone.length)
    throw new MtOrderError(
      `different sentences gave the same translation (${JSON.stringify(alone)}): a mix-up would not show`,
    );
  for (const order of [sentences.map((_, i) => i), sentences.map((_, i) => sentences.length - 1 - i)]) {
    const together = await Promise.all(order.map((i) => translate(sentences[i]!)));
    for (const [k, i] of order.entries()) {
      if (together[k] !== alone[i])
        throw new MtOrderError(
          `concurrent call for ${JSON.stringify(sentences[i])} got ${JSON.stringify(together[k])}; alone it gives ${JSON.stringify(alone[i])}`,
        );
    }
  }
}
