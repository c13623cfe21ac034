/**
 * Loads `opusscript` (libopus compiled to WASM) lazily, so a missing package surfaces as an
 * EngineUnavailableError from `init()` instead of an import-time crash of the whole server.
 */
import { createRequire } from 'node:module';
import { EngineUnavailableError } from '@babelcast/core/engines';
import type OpusScript from 'opusscript';

export type OpusScriptClass = typeof OpusScript;
export type OpusScriptInstance = InstanceType<OpusScriptClass>;

/** libopus CTL request numbers (opus_defines.h); opusscript only wraps the bitrate one. */
export const OPUS_SET_COMPLEXITY_REQUEST = 4010;
export const OPUS_SET_SIGNAL_REQUEST = 4024;
export const OPUS_SIGNAL_VOICE = 3001;

let cached: OpusScriptClass | undefined;

export function loadOpusScript(engineId: string): OpusScriptClass {
  if (cached) return cached;
  try {
    cached = createRequire(import.meta.url)('opusscript') as OpusScriptClass;
    return cached;
  } catch (cause) {
    throw new EngineUnavailableError(
      engineId,
      'the npm package "opusscript" is not installed (npm install -w @babelcast/codec-opus opusscript)',
      { cause },
    );
  }
}

/**
 * opusscript takes and returns PCM as little-endian bytes (a Node Buffer), not as Int16Array: an
 * Int16Array is silently mis-read. These two helpers keep that quirk in one place.
 */
export function int16ToBytes(pcm: Int16Array): Buffer {
  return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}

export function bytesToInt16(bytes: Uint8Array): Int16Array {
  // Copy: the decoder's Buffer may sit at an odd offset in Node's pool and is reused by the WASM heap.
  const out = new Int16Array(bytes.byteLength >> 1);
  new Uint8Array(out.buffer).set(bytes.subarray(0, out.length * 2));
  return out;
}
