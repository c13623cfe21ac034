import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineUnavailableError } from '@babelcast/core/engines';
import { afterAll, describe, expect, it } from 'vitest';
import { findModel, modelFiles } from './model-catalog.ts';
import { SherpaAsr } from './sherpa-asr.ts';
import { bundledSileroModel } from './silero-vad.ts';

const emptyModelsDir = mkdtempSync(join(tmpdir(), 'babelcast-models-'));
afterAll(() => rmSync(emptyModelsDir, { recursive: true, force: true }));

describe('SherpaAsr without a downloaded model', () => {
  it('describes a streaming transducer from the catalog before init', () => {
    const asr = new SherpaAsr({
      modelsDir: emptyModelsDir,
      model: 'sherpa-onnx-streaming-zipformer-en-2023-06-26',
    });
    expect(asr.capabilities).toEqual({ languages: ['en'], streaming: true, punctuated: false });
    const whisper = new SherpaAsr({ modelsDir: emptyModelsDir, model: 'sherpa-onnx-whisper-tiny' });
    expect(whisper.capabilities.streaming).toBe(false);
    expect(whisper.capabilities.punctuated).toBe(true);
    expect(whisper.capabilities.languages).toContain('de');
  });

  it('rejects init with the exact download command', async () => {
    const asr = new SherpaAsr({ modelsDir: emptyModelsDir, model: 'sherpa-onnx-whisper-base' });
    const failure = asr.init();
    await expect(failure).rejects.toBeInstanceOf(EngineUnavailableError);
    await expect(failure).rejects.toThrow('babelcast models download sherpa-onnx-whisper-base');
    await expect(failure).rejects.toThrow(emptyModelsDir);
    expect(() => asr.createStream({ language: 'en' })).toThrow(/init\(\) was not called/);
    await asr.close();
  });

  it('rejects an unknown model name at init, listing the known ones', async () => {
    const asr = new SherpaAsr({ modelsDir: emptyModelsDir, model: 'no-such-model' });
    expect(asr.capabilities.languages).toEqual([]);
    await expect(asr.init()).rejects.toThrow(
      /unknown model "no-such-model"; known: .*sherpa-onnx-whisper-tiny/,
    );
  });
});

describe('SherpaAsr with files that are not the model they claim to be', () => {
  // sherpa-onnx exit()s from native code on such files; the child-process probe must turn that
  // into a rejected init() while this process carries on.
  it.each(['sherpa-onnx-streaming-zipformer-en-2023-06-26', 'sherpa-onnx-whisper-tiny'])(
    '%s: rejects init and names the re-download command',
    async (name) => {
      const modelsDir = mkdtempSync(join(tmpdir(), 'babelcast-wrong-model-'));
      try {
        for (const file of Object.values(modelFiles(modelsDir, findModel(name)!))) {
          mkdirSync(join(file, '..'), { recursive: true });
          if (file.endsWith('.onnx')) copyFileSync(bundledSileroModel(), file);
          else writeFileSync(file, 'a 0\n');
        }
        const failure = new SherpaAsr({ modelsDir, model: name }).init();
        await expect(failure).rejects.toBeInstanceOf(EngineUnavailableError);
        await expect(failure).rejects.toThrow(/metadata.*babelcast models download/);
      } finally {
        rmSync(modelsDir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
