/**
 * The WebSocket side of the HTTP server: routes upgrades by path, applies the per-address limits,
 * and keeps a heartbeat on every socket.
 *
 * Nothing a client sends can throw out of here: every parse error answers HTTP 400 with the
 * documented JSON body and destroys the socket, and every handler is guarded (see `guarded`), so
 * one bad request is logged and never reaches the process as an uncaught exception, also when
 * the server is embedded as a library.
 *
 * Heartbeat: each socket is pinged every `limits.heartbeatMs`, one ping outstanding at a time. A
 * pong comes back only once the client has read everything queued before the ping, so the age of
 * an unanswered ping is how far behind the client is, including what hides in kernel buffers
 * (which `bufferedAmount` cannot see). A listener behind by more than `limits.stuckMs` is closed
 * with SLOW_CONSUMER (4508); any socket silent for twice that is dropped as dead.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode, ErrorCode, SPEAKER_AUDIO_MAX_FRAME_BYTES } from '@babelcast/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import { writeRawError } from '../http/raw-response.ts';
import { addressKey, ConcurrencyLimit, clientAddress, KeyedBuckets } from '../limits/rate-limit.ts';
import { handleListenerSocket } from './listener-socket.ts';
import { closeHard, closeWith, guarded, type SocketDeps, sendJson } from './socket-utils.ts';
import { handleSpeakerSocket } from './speaker-socket.ts';

type Role = 'speaker' | 'listener';

interface Liveness {
  role: Role;
  /** When the outstanding ping was sent; null when none is outstanding. */
  pingSentAt: number | null;
}

const PATHS: Record<string, Role> = { '/ws/speaker': 'speaker', '/ws/listener': 'listener' };

export class WsGateway {
  private readonly wss: WebSocketServer;
  /** Per-socket heartbeat state, kept beside the socket rather than patched onto it. */
  private readonly liveness = new WeakMap<WebSocket, Liveness>();
  private readonly connectRate: KeyedBuckets;
  private readonly listenersPerAddress: ConcurrencyLimit;
  private readonly heartbeat: NodeJS.Timeout;
  private shuttingDown = false;

  constructor(
    server: Server,
    private readonly deps: SocketDeps,
  ) {
    const { config, logger } = deps;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: SPEAKER_AUDIO_MAX_FRAME_BYTES + 1024,
      perMessageDeflate: false,
    });
    this.connectRate = new KeyedBuckets(config.rateLimits.wsConnect, config.rateLimits.trackedAddresses);
    this.listenersPerAddress = new ConcurrencyLimit(config.rateLimits.maxListenersPerAddress);
    const log = logger.child({ component: 'ws' });
    server.on(
      'upgrade',
      guarded(
        log,
        'upgrade',
        (request: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(request, socket, head),
        (_err) => undefined,
      ),
    );
    // Handshakes ws refuses (method, Upgrade, Sec-WebSocket-Key/Version headers): same JSON body.
    this.wss.on(
      'wsClientError',
      guarded(log, 'handshake refusal', (err: Error, socket: Duplex, request: IncomingMessage) => {
        const status = request.method === 'GET' ? 400 : 405;
        writeRawError(socket, status, ErrorCode.BAD_REQUEST, err.message, {
          'Sec-WebSocket-Version': '13',
        });
      }),
    );
    this.heartbeat = setInterval(
      guarded(log, 'heartbeat', () => this.tick()),
      config.limits.heartbeatMs,
    );
    this.heartbeat.unref();
  }

  /** Open WebSockets (speakers and listeners). */
  get clients(): ReadonlySet<WebSocket> {
    return this.wss.clients;
  }

  private onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { config, metrics, logger } = this.deps;
    // Until ws takes the socket over, a reset must not become an unhandled 'error' event.
    socket.on('error', (err) => logger.debug({ err }, 'upgrade socket error'));
    if (this.shuttingDown) {
      writeRawError(socket, 503, ErrorCode.SHUTTING_DOWN, 'the server is shutting down; retry shortly');
      return;
    }
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://localhost');
    } catch {
      metrics.badInput.inc({ role: 'upgrade', code: ErrorCode.BAD_REQUEST });
      writeRawError(socket, 400, ErrorCode.BAD_REQUEST, 'malformed request URL');
      return;
    }
    const role = PATHS[url.pathname];
    if (!role) {
      writeRawError(socket, 404, ErrorCode.NOT_FOUND, 'no WebSocket at this path');
      return;
    }
    const address = addressKey(
      clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], config.trustProxy),
    );
    const tooMany = !this.connectRate.take(address);
    const log = logger.child({ role });
    this.wss.handleUpgrade(
      request,
      socket,
      head,
      guarded(
        log,
        'socket setup',
        (ws: WebSocket) => {
          this.liveness.set(ws, { role, pingSentAt: null });
          ws.on('pong', () => {
            const l = this.liveness.get(ws);
            if (l) l.pingSentAt = null;
          });
          if (tooMany) {
            this.refuseRateLimited(
              ws,
              role,
              'too many connections from your address; retry in a few seconds',
            );
            return;
          }
          if (role === 'listener') {
            if (!this.listenersPerAddress.acquire(address)) {
              this.refuseRateLimited(
                ws,
                role,
                `too many listeners from your address (at most ${config.rateLimits.maxListenersPerAddress})`,
              );
              return;
            }
            ws.once('close', () => this.listenersPerAddress.release(address));
            handleListenerSocket(ws, request, url, this.deps);
          } else {
            handleSpeakerSocket(ws, request, url, this.deps);
          }
        },
        () => socket.destroy(),
      ),
    );
  }

  private refuseRateLimited(ws: WebSocket, role: Role, message: string): void {
    this.deps.metrics.wsRejected.inc({ role, code: String(CloseCode.RATE_LIMITED) });
    sendJson(ws, { type: 'error', code: ErrorCode.RATE_LIMITED, message });
    closeHard(ws, CloseCode.RATE_LIMITED, message);
  }

  private tick(): void {
    const { stuckMs, heartbeatMs } = this.deps.config.limits;
    const deadMs = 2 * Math.max(stuckMs, heartbeatMs);
    const now = Date.now();
    for (const ws of this.wss.clients) {
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
        this.deps.metrics.slowConsumers.inc();
        this.deps.metrics.wsRejected.inc({ role: l.role, code: String(CloseCode.SLOW_CONSUMER) });
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

  /** Refuse new upgrades, stop the heartbeat and say goodbye (GOING_AWAY) to every socket. */
  beginShutdown(): void {
    this.shuttingDown = true;
    clearInterval(this.heartbeat);
    for (const ws of this.wss.clients) closeWith(ws, CloseCode.GOING_AWAY, 'server shutting down');
  }

  /** Drop every socket still open (shutdown deadline). */
  terminateAll(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}
