/** `babelcast transcribe`: the configured VAD + ASR on a recording, one line per segment. */
import type { Command } from '../command.ts';
import { loadSpeakerAudio, transcribeSamples, withConfiguredEngines } from '../replay/index.ts';
import { enginePreset, requiredPositional } from './command-inputs.ts';

export const transcribe: Command = {
  name: 'transcribe',
  summary: 'recognise a WAV file with the configured VAD and ASR engines (final text, one line per segment)',
  usage: 'transcribe <file.wav> --lang en [--json] [--engines embedded|fake] [--config FILE]',
  options: {
    lang: { type: 'string' },
    json: { type: 'boolean' },
    engines: { type: 'string' },
    config: { type: 'string', short: 'c' },
  },
  allowPositionals: true,
  help: [
    '      --lang LANG          spoken language (default en)',
    '      --json               one JSON object per segment (segment, startMs, endMs, text, raw), then a summary',
    '      --engines PRESET     embedded (default) or fake',
    '  -c, --config FILE        JSON config file (engine choice and options, endpointing)',
  ].join('\n'),
  async run({ values, positionals }) {
    const file = requiredPositional(positionals, 'give the WAV file to transcribe');
    const preset = enginePreset(values.engines);
    const lang = (values.lang as string | undefined) ?? 'en';
    const audio = loadSpeakerAudio(file);
    if (audio.converted) process.stderr.write(`${file}: ${audio.converted}\n`);
    const choice = { configFile: values.config as string | undefined, preset };
    return withConfiguredEngines(choice, ['vad', 'asr'], async (engines, config) => {
      const result = await transcribeSamples(engines, audio.samples, lang, config.pipeline);
      for (const s of result.segments)
        process.stdout.write(`${values.json ? JSON.stringify({ type: 'segment', ...s }) : s.text}\n`);
      const summary = {
        type: 'summary',
        engines: { vad: engines.vad.info.id, asr: engines.asr.info.id },
        audioMs: Math.round(result.audioMs),
        processingMs: Math.round(result.processingMs),
        rtf: Math.round(result.rtf * 1000) / 1000,
      };
      if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else
        process.stderr.write(
          `${result.segments.length} segments, ${(result.audioMs / 1000).toFixed(1)} s of audio, real-time factor ${summary.rtf} (${summary.engines.asr} + ${summary.engines.vad})\n`,
        );
      return 0;
    });
  },
};
