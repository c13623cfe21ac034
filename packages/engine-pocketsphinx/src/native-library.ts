/**
 * The slice of the pocketsphinx 5prealpha C API (Debian's "0.8+5prealpha", libpocketsphinx.so.3)
 * that streaming recognition needs, bound through koffi. Debian ships no headers, so the
 * prototypes are written out here; they differ from the older 0.8 API (no utterance-id arguments
 * to ps_start_utt / ps_get_hyp / ps_seg_iter).
 */

/** An opaque C pointer as koffi returns it. Never dereferenced on the JS side. */
export type NativePointer = { readonly __native: unique symbol } | bigint;

export interface PocketsphinxLibrary {
  /** `cmd_ln_init(NULL, ps_args(), strict=1, k1, v1, …, NULL)`: null when an argument is rejected. */
  createConfig(args: ReadonlyArray<readonly [string, string]>): NativePointer | null;
  freeConfig(config: NativePointer): void;
  configInt(config: NativePointer, name: string): number;
  createDecoder(config: NativePointer): NativePointer | null;
  freeDecoder(decoder: NativePointer): void;
  startUtterance(decoder: NativePointer): number;
  /** Returns the number of frames searched, negative on error. */
  processRaw(decoder: NativePointer, samples: Int16Array): number;
  endUtterance(decoder: NativePointer): number;
  /** Best hypothesis so far (partial during an utterance, final after end), null when there is none. */
  hypothesis(decoder: NativePointer): string | null;
  /** Words of the best path with their frame spans; fillers included (the caller filters). */
  segments(decoder: NativePointer): Array<{ word: string; startFrame: number; endFrame: number }>;
}

export interface LibraryPaths {
  pocketsphinx: string;
  sphinxbase: string;
}

export type KoffiModule = typeof import('koffi')['default'];

/**
 * Loads both shared objects and declares the functions. Throws whatever koffi throws when a library
 * or symbol is missing; the engine turns that into an EngineUnavailableError.
 */
export function bindPocketsphinx(koffi: KoffiModule, paths: LibraryPaths): PocketsphinxLibrary {
  const sphinxbase = koffi.load(paths.sphinxbase);
  const ps = koffi.load(paths.pocketsphinx);

  const cmd_ln_init = sphinxbase.func('void *cmd_ln_init(void *inout, void *defn, int strict, ...)');
  const cmd_ln_free_r = sphinxbase.func('int cmd_ln_free_r(void *config)');
  const cmd_ln_int_r = sphinxbase.func('long cmd_ln_int_r(void *config, const char *name)');
  const ps_args = ps.func('void *ps_args()');
  const ps_init = ps.func('void *ps_init(void *config)');
  const ps_free = ps.func('int ps_free(void *decoder)');
  const ps_start_utt = ps.func('int ps_start_utt(void *decoder)');
  const ps_process_raw = ps.func(
    'int ps_process_raw(void *decoder, const int16_t *data, size_t n_samples, int no_search, int full_utt)',
  );
  const ps_end_utt = ps.func('int ps_end_utt(void *decoder)');
  const ps_get_hyp = ps.func('const char *ps_get_hyp(void *decoder, _Out_ int32_t *best_score)');
  const ps_seg_iter = ps.func('void *ps_seg_iter(void *decoder)');
  const ps_seg_next = ps.func('void *ps_seg_next(void *seg)');
  const ps_seg_word = ps.func('const char *ps_seg_word(void *seg)');
  const ps_seg_frames = ps.func(
    'void ps_seg_frames(void *seg, _Out_ int *start_frame, _Out_ int *end_frame)',
  );

  return {
    createConfig(args) {
      // Variadic C arguments go to koffi as (type, value) pairs; the list ends with a NULL string.
      const variadic: unknown[] = [];
      for (const [name, value] of args) variadic.push('str', name, 'str', value);
      variadic.push('str', null);
      return cmd_ln_init(null, ps_args(), 1, ...variadic) || null;
    },
    freeConfig: (config) => void cmd_ln_free_r(config),
    configInt: (config, name) => Number(cmd_ln_int_r(config, name)),
    createDecoder: (config) => ps_init(config) || null,
    freeDecoder: (decoder) => void ps_free(decoder),
    startUtterance: (decoder) => ps_start_utt(decoder),
    processRaw: (decoder, samples) => ps_process_raw(decoder, samples, samples.length, 0, 0),
    endUtterance: (decoder) => ps_end_utt(decoder),
    hypothesis: (decoder) => ps_get_hyp(decoder, [0]) ?? null,
    segments(decoder) {
      const out: Array<{ word: string; startFrame: number; endFrame: number }> = [];
      // ps_seg_next frees the iterator when it returns NULL, so a full walk needs no ps_seg_free.
      for (let seg = ps_seg_iter(decoder); seg; seg = ps_seg_next(seg)) {
        const start = [0];
        const end = [0];
        ps_seg_frames(seg, start, end);
        out.push({ word: String(ps_seg_word(seg)), startFrame: start[0]!, endFrame: end[0]! });
      }
      return out;
    },
  };
}
