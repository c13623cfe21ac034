export {
  type OpusApplicationName,
  OpusCodec,
  type OpusCodecOptions,
  type OpusSampleRate,
} from './opus-codec.ts';
export { OpusPacketDecoder } from './opus-packet-decoder.ts';
