export { WebRtcVad, type WebRtcVadOptions } from './webrtc-vad.ts';
