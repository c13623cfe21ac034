/**
 * Reconnect delays: quick first retries (a Wi-Fi blip heals in a second), then slower, capped so a
 * page left open through a server restart comes back within a few seconds. Jitter spreads out the
 * hundreds of listener pages that lose the server at the same moment.
 */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(5000, 250 * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.75 + 0.5 * random()));
}
