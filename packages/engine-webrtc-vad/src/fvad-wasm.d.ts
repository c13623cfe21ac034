// The package ships no types; WebRtcVad narrows the Emscripten module to what it calls.
declare module '@echogarden/fvad-wasm' {
  const createModule: () => Promise<unknown>;
  export default createModule;
}
