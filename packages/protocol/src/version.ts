/**
 * Bumped on any incompatible change to frames, messages or HTTP bodies. Clients send it in `hello`.
 * 2: listener audio packets carry the media span they voice; `draft` events; lag behind speech.
 */
export const PROTOCOL_VERSION = 2;
