import type { Engine } from './engine.ts';

export interface LanguagePair {
  from: string;
  to: string;
  /** Intermediate languages when the engine pivots (en→es→fr has via ["es"]). Empty for direct pairs. */
  via: string[];
}

export interface MtCapabilities {
  pairs: LanguagePair[];
}

export interface TranslateRequest {
  text: string;
  from: string;
  to: string;
  signal?: AbortSignal;
}

export interface MtEngine extends Engine {
  /** Valid after `init()`: pairs may be discovered from what is installed. */
  readonly capabilities: MtCapabilities;
  /** Translate one sentence. Throws EngineError on failure. */
  translate(request: TranslateRequest): Promise<string>;
}

export function supportsPair(caps: MtCapabilities, from: string, to: string): LanguagePair | undefined {
  return caps.pairs.find((p) => p.from === from && p.to === to);
}
