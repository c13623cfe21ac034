/**
 * Microphone capture on the main thread's side: device choice, the AudioWorklet, and frames handed
 * to a callback. Browser processing is chosen for recognisers, not for calls: no echo cancellation
 * (nothing plays back on the speaker's page), but noise suppression and gain control on.
 */
import type { CaptureFrameMessage } from './capture-worklet.ts';

export const FRAME_MS = 200;

export interface MicrophoneDevice {
  deviceId: string;
  label: string;
}

export async function listMicrophones(): Promise<MicrophoneDevice[]> {
  const devices = await navigator.mediaDevices.enumerateDevices();
  return devices
    .filter((d) => d.kind === 'audioinput')
    .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `Microphone ${i + 1}` }));
}

/** Why capture cannot start here, or null when it can. */
export function microphoneUnavailableReason(): string | null {
  if (!window.isSecureContext) {
    return (
      'The microphone only works on a secure page. Open this page over HTTPS ' +
      '(or as http://localhost on the computer running Babelcast). Listeners can still join over HTTP.'
    );
  }
  if (!navigator.mediaDevices?.getUserMedia) return 'This browser cannot capture audio.';
  if (typeof AudioWorkletNode === 'undefined')
    return 'This browser lacks AudioWorklet; try a current browser.';
  return null;
}

export class Microphone {
  private constructor(
    private readonly stream: MediaStream,
    private readonly context: AudioContext,
    private readonly node: AudioWorkletNode,
  ) {}

  static async open(
    deviceId: string | null,
    onFrame: (frame: CaptureFrameMessage, captureTimeMs: number) => void,
  ): Promise<Microphone> {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: {
        deviceId: deviceId ? { exact: deviceId } : undefined,
        channelCount: 1,
        echoCancellation: false,
        noiseSuppression: true,
        autoGainControl: true,
      },
    });
    const context = new AudioContext({ latencyHint: 'interactive' });
    try {
      await context.audioWorklet.addModule('/assets/capture-worklet.js');
      const source = context.createMediaStreamSource(stream);
      const node = new AudioWorkletNode(context, 'babelcast-capture', {
        numberOfInputs: 1,
        numberOfOutputs: 1,
        outputChannelCount: [1],
        processorOptions: { frameMs: FRAME_MS },
      });
      // Browsers only render nodes that lead to the destination; a silent gain keeps it pulled.
      const sink = context.createGain();
      sink.gain.value = 0;
      node.port.onmessage = (ev: MessageEvent<CaptureFrameMessage>) => {
        // The frame's first sample was captured one frame ago (plus a little device latency).
        onFrame(ev.data, Date.now() - FRAME_MS);
      };
      source.connect(node);
      node.connect(sink).connect(context.destination);
      await context.resume();
      return new Microphone(stream, context, node);
    } catch (err) {
      for (const t of stream.getTracks()) t.stop();
      await context.close();
      throw err;
    }
  }

  get label(): string {
    return this.stream.getAudioTracks()[0]?.label ?? '';
  }

  get deviceId(): string | undefined {
    return this.stream.getAudioTracks()[0]?.getSettings().deviceId;
  }

  async close(): Promise<void> {
    this.node.port.postMessage('stop');
    this.node.disconnect();
    for (const t of this.stream.getTracks()) t.stop();
    await this.context.close();
  }
}
