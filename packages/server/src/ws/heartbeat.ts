/**
 * Heartbeat: each socket is pinged every `limits.heartbeatMs`, one ping outstanding at a time. A
 * pong comes back only once the client has read everything queued before the ping, so the age of
 * an unanswered ping is how far behind the client is, including what hides in kernel buffers
 * (which `bufferedAmount` cannot see). A listener behind by more than `limits.stuckMs` is closed
 * with SLOW_CONSUMER (4508); any socket silent for twice that is dropped as dead.
 */
import type { Metrics } from '@babelcast/core';
import { CloseCode } from '@babelcast/protocol';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { BabelcastConfig } from '../config.ts';
import { guarded, type SocketRole } from './connection.ts';
import { closeHard } from './socket-messages.ts';

interface Liveness {
  role: SocketRole;
  /** When the outstanding ping was sent; null when none is outstanding. */
  pingSentAt: number | null;
}

export class Heartbeat {
  /** Per-socket state, kept beside the socket rather than patched onto it. */
  private readonly liveness = new WeakMap<WebSocket, Liveness>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly sockets: Iterable<WebSocket>,
    private readonly limits: Pick<BabelcastConfig['limits'], 'stuckMs' | 'heartbeatMs'>,
    private readonly metrics: Metrics,
    log: Logger,
  ) {
    this.timer = setInterval(
      guarded(log, 'heartbeat', () => this.tick()),
      limits.heartbeatMs,
    );
    this.timer.unref();
  }

  /** Start watching a socket that was just upgraded. */
  watch(ws: WebSocket, role: SocketRole): void {
    this.liveness.set(ws, { role, pingSentAt: null });
    ws.on('pong', () => {
      const l = this.liveness.get(ws);
      if (l) l.pingSentAt = null;
    });
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const { stuckMs, heartbeatMs } = this.limits;
    const deadMs = 2 * Math.max(stuckMs, heartbeatMs);
    const now = Date.now();
    for (const ws of this.sockets) {
      const l = this.liveness.get(ws);
      if (!l || ws.readyState !== ws.OPEN) continue;
      // A socket this server stopped reading (speaker backpressure) cannot show us its pong.
      if (ws.isPaused) {
        l.pingSentAt = null;
        continue;
      }
      if (l.pingSentAt === null) {
        l.pingSentAt = now;
        ws.ping();
        continue;
      }
      const waited = now - l.pingSentAt;
      if (l.role === 'listener' && waited > stuckMs) {
        this.metrics.slowConsumers.inc();
        this.metrics.wsRejected.inc({ role: l.role, code: String(CloseCode.SLOW_CONSUMER) });
        closeHard(
          ws,
          CloseCode.SLOW_CONSUMER,
          'listener too slow; reconnect with since=<last seq> to catch up',
        );
      } else if (waited > deadMs) {
        ws.terminate();
      }
    }
  }
}
