/** The microphone panel: input device, controls, level meter and input warnings. */
import type { InputWarning } from '../shared/input-stats.ts';
import { h } from '../shared/dom.ts';
import type { SpeakerController } from './controller.ts';
import { controls } from './controls.ts';
import { levelMeter } from './level-meter.ts';
import { listMicrophones } from './microphone.ts';
import { WARNING_TEXT } from './text.ts';

export interface MicrophonePanel {
  readonly element: HTMLElement;
  render(): void;
  level(dbfs: number): void;
  warnings(found: InputWarning[]): void;
  /** List the devices (labels appear once the browser has granted the microphone). */
  fillDevices(selected?: string): Promise<void>;
}

export function microphonePanel(controller: SpeakerController, unavailable: string | null): MicrophonePanel {
  const select = h('select', { id: 'microphone' }, h('option', { value: '' }, 'Default microphone'));
  const meter = levelMeter();
  const warningList = h('ul', { className: 'warnings', id: 'warnings', 'aria-live': 'polite' });
  async function fillDevices(selected?: string): Promise<void> {
    const devices = await listMicrophones().catch(() => []);
    const keep = selected ?? select.value;
    select.replaceChildren(
      h('option', { value: '' }, 'Default microphone'),
      ...devices
        .filter((d) => d.deviceId && d.deviceId !== 'default')
        .map((d) => h('option', { value: d.deviceId }, d.label)),
    );
    if ([...select.options].some((o) => o.value === keep)) select.value = keep ?? '';
  }
  async function start(): Promise<void> {
    await controller.start(select.value || null);
    if (controller.capturing) await fillDevices(controller.microphoneId);
  }
  const buttons = controls(controller, () => void start(), unavailable);
  select.addEventListener('change', async () => {
    if (!controller.capturing) return;
    await controller.stop();
    await start();
  });
  return {
    element: h(
      'section',
      { className: 'card', 'aria-labelledby': 'mic-heading' },
      h('h2', { id: 'mic-heading' }, 'Microphone'),
      h('label', { for: 'microphone' }, 'Input device'),
      select,
      buttons.element,
      meter.element,
      warningList,
    ),
    render() {
      buttons.render();
      select.disabled = controller.session.state === 'ended';
    },
    level: (dbfs) => meter.show(dbfs),
    warnings(found) {
      warningList.replaceChildren(...found.map((w) => h('li', { 'data-warning': w }, WARNING_TEXT[w])));
    },
    fillDevices,
  };
}
