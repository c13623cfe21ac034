import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { downloadModel } from './download-model.ts';
import { type ModelCatalog, modelCatalog, parseModelCatalog } from './model-catalog.ts';

describe('models.json', () => {
  const catalog = modelCatalog();

  it('passes the schema and lists the models the docs promise', () => {
    const names = catalog.models.map((m) => m.name);
    expect(names).toContain('sherpa-onnx-streaming-zipformer-en-2023-06-26');
    expect(catalog.models.some((m) => m.kind === 'online-transducer' && m.languages.includes('zh'))).toBe(
      true,
    );
    expect(catalog.models.filter((m) => m.kind === 'offline-whisper').length).toBeGreaterThanOrEqual(2);
  });

  it('downloads only from the upstream release page over https', () => {
    for (const m of catalog.models) {
      expect(m.url).toMatch(/^https:\/\/github\.com\/k2-fsa\/sherpa-onnx\/releases\/download\/asr-models\//);
      expect(m.url.endsWith(`/${m.name}.tar.bz2`)).toBe(true);
      if (m.sha256 === null) expect(m.note).toMatch(/checksum/);
    }
  });
});

describe('parseModelCatalog', () => {
  const valid = {
    about: 'x',
    models: [
      {
        name: 'm',
        description: 'd',
        kind: 'offline-sense-voice',
        languages: ['en'],
        url: 'https://example.org/m.tar.bz2',
        sha256: null,
        sizeBytes: null,
        files: { model: 'model.onnx', tokens: 'tokens.txt' },
      },
    ],
  };

  it('accepts a well-formed catalog', () => {
    expect(parseModelCatalog(valid).models[0]!.name).toBe('m');
  });

  it.each([
    ['a plain-http url', { url: 'http://example.org/m.tar.bz2' }],
    ['a short checksum', { sha256: 'abc' }],
    ['a file outside the model folder', { files: { model: '../../etc/passwd', tokens: 't' } }],
    ['files of another kind', { files: { encoder: 'e', decoder: 'd', tokens: 't' } }],
    ['an unknown kind', { kind: 'online-ctc' }],
  ])('rejects %s', (_what, change) => {
    const bad = { ...valid, models: [{ ...valid.models[0], ...change }] };
    expect(() => parseModelCatalog(bad)).toThrow(/invalid model catalog/);
  });

  it('rejects duplicate names', () => {
    expect(() => parseModelCatalog({ ...valid, models: [valid.models[0], valid.models[0]] })).toThrow(
      /unique/,
    );
  });
});

describe('downloadModel (network replaced by a local archive)', () => {
  const work = mkdtempSync(join(tmpdir(), 'babelcast-download-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  // A real .tar.bz2 laid out like the upstream ones: one top folder named after the model.
  const source = join(work, 'src');
  mkdirSync(join(source, 'tiny-model'), { recursive: true });
  writeFileSync(join(source, 'tiny-model', 'model.onnx'), 'onnx bytes');
  writeFileSync(join(source, 'tiny-model', 'tokens.txt'), 'a 1\n');
  const archivePath = join(work, 'tiny-model.tar.bz2');
  execFileSync('tar', ['-cjf', archivePath, '-C', source, 'tiny-model']);
  const archive = readFileSync(archivePath);
  const sha256 = createHash('sha256').update(archive).digest('hex');

  const catalog = (
    checksum: string | null,
    files = { model: 'model.onnx', tokens: 'tokens.txt' },
  ): ModelCatalog =>
    parseModelCatalog({
      about: 'test',
      models: [
        {
          name: 'tiny-model',
          description: 'test',
          kind: 'offline-sense-voice',
          languages: ['en'],
          url: 'https://example.org/tiny-model.tar.bz2',
          sha256: checksum,
          sizeBytes: archive.length,
          files,
        },
      ],
    });
  const fakeFetch = (async () => new Response(archive)) as unknown as typeof fetch;

  it('verifies the checksum, unpacks and reports the model installed', async () => {
    const dir = join(work, 'models-ok');
    const progress: number[] = [];
    const result = await downloadModel('tiny-model', dir, {
      catalog: catalog(sha256),
      fetch: fakeFetch,
      onProgress: (n) => progress.push(n),
    });
    expect(result).toMatchObject({
      dir: join(dir, 'tiny-model'),
      sha256,
      verified: true,
      alreadyInstalled: false,
    });
    expect(readFileSync(join(dir, 'tiny-model', 'tokens.txt'), 'utf8')).toBe('a 1\n');
    expect(progress.at(-1)).toBe(archive.length);
    const again = await downloadModel('tiny-model', dir, { catalog: catalog(sha256), fetch: fakeFetch });
    expect(again.alreadyInstalled).toBe(true);
  });

  it('refuses an archive whose checksum differs and leaves nothing behind', async () => {
    const dir = join(work, 'models-bad-sum');
    await expect(
      downloadModel('tiny-model', dir, { catalog: catalog('0'.repeat(64)), fetch: fakeFetch }),
    ).rejects.toThrow(/checksum mismatch/);
    expect(existsSync(join(dir, 'tiny-model'))).toBe(false);
    expect(existsSync(join(dir, '.tiny-model.download'))).toBe(false);
  });

  it('refuses an archive that lacks a file the recogniser needs', async () => {
    const dir = join(work, 'models-incomplete');
    await expect(
      downloadModel('tiny-model', dir, {
        catalog: catalog(null, { model: 'model.int8.onnx', tokens: 'tokens.txt' }),
        fetch: fakeFetch,
      }),
    ).rejects.toThrow(/does not contain .*model\.int8\.onnx/);
    expect(existsSync(join(dir, 'tiny-model'))).toBe(false);
  });

  it('reports an HTTP failure and an unknown name', async () => {
    const notFound = (async () => new Response('nope', { status: 404 })) as unknown as typeof fetch;
    await expect(
      downloadModel('tiny-model', join(work, 'm404'), { catalog: catalog(sha256), fetch: notFound }),
    ).rejects.toThrow(/HTTP 404/);
    await expect(downloadModel('other', join(work, 'm404'), { catalog: catalog(sha256) })).rejects.toThrow(
      /unknown model "other"/,
    );
  });
});
