export { type DownloadOptions, type DownloadResult, downloadModel, missingFiles } from './download-model.ts';
export {
  type AsrModel,
  asrModelSchema,
  downloadCommand,
  findModel,
  type ModelCatalog,
  modelCatalog,
  modelCatalogSchema,
  modelDir,
  modelFiles,
  parseModelCatalog,
} from './model-catalog.ts';
export { isModelInstalled, SherpaAsr, type SherpaAsrOptions } from './sherpa-asr.ts';
export { bundledSileroModel, SileroVad, type SileroVadOptions } from './silero-vad.ts';
