/**
 * `babelcast doctor`: every registered engine, whether it can run here, and what it gives
 * (languages, pairs). Each engine is really initialised, so "available" means it just worked.
 */
import { type Engine, type EngineKind, EngineUnavailableError } from '@babelcast/core';
import { ENGINE_REGISTRY, type EngineHooks, engineNames, engineOptions, loadConfig } from '@babelcast/server';
import type { Command } from '../command.ts';
import {
  EMBEDDED_DEBIAN_PACKAGES,
  installCommand,
  missingPackages,
  VOICE_PACKAGE_NAMES,
} from '../system-packages.ts';

/**
 * Which voice serves each language: languages whose first voice is not espeak-ng by name, the
 * espeak-ng ones counted (it speaks about 90).
 */
function voicesByLanguage(engine: Engine): Record<string, string[]> | undefined {
  const tts = engine as unknown as { capabilities: { languages: string[] }; voicesFor?(l: string): string[] };
  if (!tts.voicesFor) return undefined;
  const out: Record<string, string[]> = {};
  for (const l of tts.capabilities.languages) out[l] = tts.voicesFor(l);
  return out;
}

function describeVoices(voices: Record<string, string[]>): string {
  const named = Object.entries(voices).filter(([, v]) => v[0] && !v[0].startsWith('espeak-ng'));
  const others = Object.keys(voices).length - named.length;
  return `${named.map(([l, v]) => `${l} ${v[0]}`).join(', ')}${others ? `; espeak-ng for ${others} other languages` : ''}`;
}

function describeCapabilities(kind: EngineKind, engine: Engine): string {
  const caps = (engine as unknown as { capabilities: Record<string, unknown> }).capabilities;
  switch (kind) {
    case 'asr': {
      const c = caps as { languages: string[]; streaming: boolean };
      return `languages ${c.languages.join(', ')}; ${c.streaming ? 'streaming with partials' : 'one utterance at a time'}`;
    }
    case 'mt': {
      const pairs = (caps as { pairs: { from: string; to: string; via: string[] }[] }).pairs;
      const direct = pairs.filter((p) => p.via.length === 0).map((p) => `${p.from}→${p.to}`);
      const pivot = pairs.filter((p) => p.via.length > 0).map((p) => `${p.from}→${p.to}`);
      return `${pairs.length} pairs; direct: ${direct.join(' ')}${pivot.length ? `; pivot: ${pivot.join(' ')}` : ''}`;
    }
    case 'tts':
      return `voices for ${(caps as { languages: string[] }).languages.join(', ')}`;
    case 'vad':
      return `${(caps as { frameSamples: number }).frameSamples}-sample frames at 16 kHz`;
    case 'codec': {
      const c = caps as { codec: string; sampleRate: number; frameDurationMs: number };
      return `${c.codec} ${c.sampleRate / 1000} kHz, ${c.frameDurationMs} ms frames`;
    }
  }
}

export const doctor: Command = {
  name: 'doctor',
  summary: 'check every engine: available here or not, and the languages it gives',
  usage: 'doctor [--config FILE] [--json]',
  options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } },
  help: '  -c, --config FILE        JSON config file\n      --json               print JSON',
  async run({ values }) {
    const config = loadConfig({ file: values.config as string | undefined });
    const selected = engineNames(config);
    const report: { kind: string; id: string; selected: boolean; available: boolean; detail: string }[] = [];
    let voices: Record<string, string[]> | undefined;
    for (const kind of Object.keys(ENGINE_REGISTRY) as EngineKind[]) {
      const table = ENGINE_REGISTRY[kind] as unknown as Record<
        string,
        (o: Record<string, unknown>, c: typeof config, hooks: EngineHooks) => Promise<Engine>
      >;
      for (const [id, factory] of Object.entries(table)) {
        let engine: Engine | undefined;
        try {
          engine = await factory(engineOptions(config, id), config, { onCost() {} });
          await engine.init();
          if (kind === 'tts' && selected.tts === id) voices = voicesByLanguage(engine);
          report.push({
            kind,
            id,
            selected: selected[kind] === id,
            available: true,
            detail: describeCapabilities(kind, engine),
          });
        } catch (err) {
          const detail =
            err instanceof EngineUnavailableError ? err.message : `failed: ${(err as Error).message}`;
          report.push({ kind, id, selected: selected[kind] === id, available: false, detail });
        } finally {
          await engine?.close().catch(() => {});
        }
      }
    }
    const missing = missingPackages(EMBEDDED_DEBIAN_PACKAGES);
    const missingVoices = missingPackages(VOICE_PACKAGE_NAMES);
    if (values.json) {
      console.log(
        JSON.stringify(
          { engines: report, voices, missingDebianPackages: missing, missingVoicePackages: missingVoices },
          null,
          2,
        ),
      );
    } else {
      for (const r of report) {
        const mark = r.available ? 'ok ' : '-- ';
        console.log(
          `${mark} ${r.kind.padEnd(5)} ${r.id.padEnd(14)} ${r.selected ? '(selected) ' : ''}${r.detail}`,
        );
      }
      if (missing.length)
        console.log(`\nMissing Debian packages for the embedded engines:\n  ${installCommand(missing)}`);
      else console.log('\nAll Debian packages for the embedded engines are installed.');
      if (voices) console.log(`\nVoice per language (${selected.tts}): ${describeVoices(voices)}`);
      if (missingVoices.length)
        console.log(
          `Better voices (SVOX Pico, RHVoice; optional) are not installed: babelcast setup --voices`,
        );
    }
    const selectedBroken = report.some((r) => r.selected && !r.available);
    return selectedBroken ? 1 : 0;
  },
};
