/**
 * `npm run bench -- --quick` must exit by itself once its results are written (issue 10): no
 * part may leave a timer or a child process behind. The soak used to start one memory sampler per
 * session and clear only the last, which kept the process alive for ever.
 */
import { describe, expect, it } from 'vitest';
import { runSoak } from '../parts/soak.ts';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
const children = () => process.getActiveResourcesInfo().filter((r) => r === 'ProcessWrap').length;

describe('bench parts leave nothing running', () => {
  it('the soak clears its samplers and stops its processes', async () => {
    const before = { timers: timers(), children: children() };
    const r = await runSoak({ sessions: 3, listenersPerSession: 2, durationS: 3, log: () => {} });
    expect(r.sessions).toBe(3);
    // Let closing sockets and exiting children finish their own callbacks.
    await new Promise((res) => setTimeout(res, 200));
    expect(timers()).toBeLessThanOrEqual(before.timers);
    expect(children()).toBeLessThanOrEqual(before.children);
  }, 90_000);
});
