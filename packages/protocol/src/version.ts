/** Bumped on any incompatible change to frames, messages or HTTP bodies. Clients send it in `hello`. */
export const PROTOCOL_VERSION = 1;
