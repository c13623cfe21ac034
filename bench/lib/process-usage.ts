/**
 * CPU and memory of the benchmark child this runs in (a server or a cluster node), as its parent
 * asks for them over IPC: CPU time so far, the wall clock, RSS now and its peak since the last reset
 * (sampled every 200 ms, so a short spike between two asks is not missed).
 */
import type { Usage } from './server-client.ts';

export function trackUsage() {
  let rssPeak = 0;
  const timer = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 200);
  timer.unref();
  return {
    now(): Usage {
      const cpu = process.cpuUsage();
      const rss = process.memoryUsage().rss;
      rssPeak = Math.max(rssPeak, rss);
      return {
        cpuMs: (cpu.user + cpu.system) / 1000,
        wallMs: performance.timeOrigin + performance.now(),
        rss,
        rssPeak,
      };
    },
    resetPeak(): void {
      rssPeak = process.memoryUsage().rss;
    },
    stop(): void {
      clearInterval(timer);
    },
  };
}
