// SVOX Pico in process (WASM) against a supervised pico2wave child: latency to the first audio of
// a sentence and real-time factor, on the first 20 Spanish FLORES sentences. Decides how
// packages/engine-pico runs Pico. The WASM build is not a dependency of Babelcast; to re-run:
//   (cd /tmp/pico && npm install @echogarden/svoxpico-wasm@0.2.0)
//   SVOXPICO_WASM=/tmp/pico/node_modules/@echogarden/svoxpico-wasm/svoxpico.js node bench/voices/pico-wasm-vs-child.mjs
// Lingware: /usr/share/pico/lang from Debian libttspico-data (babelcast setup --voices).
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const data = process.env.BABELCAST_SHARED_DATA ?? new URL('../../../shared/data', import.meta.url).pathname;
const sentences = readFileSync(join(data, 'text/flores-dev.es.txt'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(0, 20);
const LANG = '/usr/share/pico/lang';
const t0 = performance.now();
const { default: init } = await import(process.env.SVOXPICO_WASM ?? '@echogarden/svoxpico-wasm');
const m = await init();
const tLoad = performance.now();
const str = (s) => {
  const b = Buffer.from(s + '\0', 'utf8');
  const p = m._malloc(b.length);
  m.HEAPU8.set(b, p);
  return [p, b.length];
};
const mem = m._malloc(2_500_000);
const sysRef = m._malloc(4);
let rc = m._pico_initialize(mem, 2_500_000, sysRef);
if (rc) throw new Error('init ' + rc);
const sys = m.HEAP32[sysRef >> 2];
function load(file) {
  m.FS.writeFile('./' + file, readFileSync(join(LANG, file)));
  const [p] = str('./' + file);
  const r = m._malloc(4);
  rc = m._pico_loadResource(sys, p, r);
  if (rc) throw new Error('load ' + rc);
  const name = m._malloc(32);
  m._pico_getResourceName(sys, m.HEAP32[r >> 2], name);
  return name;
}
const ta = load('es-ES_ta.bin'),
  sg = load('es-ES_zl0_sg.bin');
const [voice] = str('PicoVoice');
m._pico_createVoiceDefinition(sys, voice);
m._pico_addResourceToVoiceDefinition(sys, voice, ta);
m._pico_addResourceToVoiceDefinition(sys, voice, sg);
const engRef = m._malloc(4);
rc = m._pico_newEngine(sys, voice, engRef);
if (rc) throw new Error('engine ' + rc);
const eng = m.HEAP32[engRef >> 2];
const tInit = performance.now();
const out = m._malloc(16384),
  cnt = m._malloc(2),
  typ = m._malloc(2),
  written = m._malloc(4);
function synth(text) {
  const start = performance.now();
  let first = 0;
  let bytes = 0;
  const [p, len] = str(text);
  for (let off = 0; off < len; ) {
    m.HEAP32[written >> 2] = 0;
    rc = m._pico_putTextUtf8(eng, p + off, len - off, written);
    if (rc) throw new Error('put ' + rc);
    off += m.HEAP32[written >> 2];
    for (;;) {
      rc = m._pico_getData(eng, out, 16384, cnt, typ);
      const n = m.HEAP16[cnt >> 1];
      if (n > 0) {
        bytes += n;
        if (!first) first = performance.now() - start;
      }
      if (rc === 200) break;
      if (rc !== 201) throw new Error('get ' + rc);
    }
  }
  m._free(p);
  return { first, total: performance.now() - start, audio: bytes / 2 / 16000 };
}
synth('Hola.');
const wasm = sentences.map(synth);
const dir = mkdtempSync(join(tmpdir(), 'pico-'));
function child(text) {
  const start = performance.now();
  const r = spawnSync('pico2wave', ['-l', 'es-ES', '-w', join(dir, 's.wav'), '--', text]);
  if (r.status) throw new Error(String(r.stderr));
  const t = performance.now() - start;
  const audio = (readFileSync(join(dir, 's.wav')).length - 44) / 2 / 16000;
  return { first: t, total: t, audio };
}
child('Hola.');
const kids = sentences.map(child);
rmSync(dir, { recursive: true });
const stat = (xs, k) => {
  const v = xs.map((x) => x[k]).sort((a, b) => a - b);
  return {
    mean: v.reduce((a, b) => a + b) / v.length,
    p50: v[Math.floor(v.length / 2)],
    p95: v[Math.floor(v.length * 0.95)],
  };
};
const rtf = (xs) => xs.reduce((a, x) => a + x.total, 0) / 1000 / xs.reduce((a, x) => a + x.audio, 0);
console.log(
  JSON.stringify(
    {
      sentences: sentences.length,
      wasm: {
        loadMs: tLoad - t0,
        initMs: tInit - tLoad,
        firstMs: stat(wasm, 'first'),
        totalMs: stat(wasm, 'total'),
        rtf: rtf(wasm),
      },
      child: { firstMs: stat(kids, 'first'), rtf: rtf(kids) },
    },
    null,
    1,
  ),
);
