/**
 * The list of recognition models an operator may download (`models.json` beside this package), and
 * where a downloaded model's files live. Validated with zod when read, so a hand-edited manifest
 * fails loudly at start rather than as a missing file in the middle of a session.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const relativeFile = z
  .string()
  .min(1)
  .refine(
    (p) => !p.startsWith('/') && !p.split('/').includes('..'),
    'must be a path inside the model folder',
  );

const common = {
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a folder name: letters, digits, . _ -'),
  description: z.string().min(1),
  languages: z.array(z.string().regex(/^[a-z]{2,3}$/)).min(1),
  url: z.url({ protocol: /^https$/ }),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
  sizeBytes: z.number().int().positive().nullable(),
  note: z.string().optional(),
};

const onlineTransducer = z.object({
  ...common,
  kind: z.literal('online-transducer'),
  files: z.object({
    encoder: relativeFile,
    decoder: relativeFile,
    joiner: relativeFile,
    tokens: relativeFile,
  }),
});
const offlineWhisper = z.object({
  ...common,
  kind: z.literal('offline-whisper'),
  files: z.object({ encoder: relativeFile, decoder: relativeFile, tokens: relativeFile }),
});
const offlineSenseVoice = z.object({
  ...common,
  kind: z.literal('offline-sense-voice'),
  files: z.object({ model: relativeFile, tokens: relativeFile }),
});

export const asrModelSchema = z.discriminatedUnion('kind', [
  onlineTransducer,
  offlineWhisper,
  offlineSenseVoice,
]);

export const modelCatalogSchema = z
  .object({ about: z.string(), models: z.array(asrModelSchema).min(1) })
  .refine((c) => new Set(c.models.map((m) => m.name)).size === c.models.length, 'model names must be unique');

export type AsrModel = z.infer<typeof asrModelSchema>;
export type ModelCatalog = z.infer<typeof modelCatalogSchema>;

const CATALOG_PATH = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'models.json');

/** Parse and validate a catalog; throws with every problem listed. */
export function parseModelCatalog(json: unknown): ModelCatalog {
  const result = modelCatalogSchema.safeParse(json);
  if (!result.success) throw new Error(`invalid model catalog:\n${z.prettifyError(result.error)}`);
  return result.data;
}

let shipped: ModelCatalog | undefined;

/** The catalog shipped with this package. */
export function modelCatalog(): ModelCatalog {
  shipped ??= parseModelCatalog(JSON.parse(readFileSync(CATALOG_PATH, 'utf8')));
  return shipped;
}

export function findModel(name: string, catalog: ModelCatalog = modelCatalog()): AsrModel | undefined {
  return catalog.models.find((m) => m.name === name);
}

/** A model is installed as `<modelsDir>/<name>/`, the folder its archive unpacks to. */
export function modelDir(modelsDir: string, model: AsrModel): string {
  return join(modelsDir, model.name);
}

/** Absolute paths of every file the recogniser will open. */
export function modelFiles(modelsDir: string, model: AsrModel): Record<string, string> {
  const dir = modelDir(modelsDir, model);
  return Object.fromEntries(Object.entries(model.files).map(([role, file]) => [role, join(dir, file)]));
}

/** The command that installs a model; quoted in every "missing model" error. */
export function downloadCommand(name: string): string {
  return `babelcast models download ${name}`;
}
