/**
 * The WebSocket side of the HTTP server: routes upgrades by path, applies the per-address limits,
 * and keeps a heartbeat on every socket.
 *
 * Nothing a client sends can throw out of here: every parse error answers HTTP 400 with the
 * documented JSON body and destroys the socket, and every handler is guarded (see `guarded`), so
 * one bad request is logged and never reaches the process as an uncaught exception, also when
 * the server is embedded as a library. The heartbeat is heartbeat.ts; what happens on each socket
 * after the upgrade is its connection's (speaker-socket.ts, listener-socket.ts).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode, ErrorCode, SPEAKER_AUDIO_MAX_FRAME_BYTES } from '@babelcast/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import { writeRawError } from '../http/raw-response.ts';
import { addressKey, ConcurrencyLimit, clientAddress, KeyedBuckets } from '../limits/rate-limit.ts';
import { guarded, type SocketDeps, type SocketRole } from './connection.ts';
import { Heartbeat } from './heartbeat.ts';
import { ListenerConnection } from './listener-socket.ts';
import { closeHard, closeWith, sendJson } from './socket-messages.ts';
import { SpeakerConnection } from './speaker-socket.ts';

const PATHS: Record<string, SocketRole> = { '/ws/speaker': 'speaker', '/ws/listener': 'listener' };

export class WsGateway {
  private readonly wss: WebSocketServer;
  private readonly connectRate: KeyedBuckets;
  private readonly listenersPerAddress: ConcurrencyLimit;
  private readonly heartbeat: Heartbeat;
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
    this.heartbeat = new Heartbeat(this.wss.clients, config.limits, deps.metrics, log);
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
    this.wss.handleUpgrade(
      request,
      socket,
      head,
      guarded(
        logger.child({ role }),
        'socket setup',
        (ws: WebSocket) => this.accept(ws, role, { request, url, address, tooMany }),
        () => socket.destroy(),
      ),
    );
  }

  /** An upgraded socket: watched by the heartbeat, then refused (per-address limits) or connected. */
  private accept(
    ws: WebSocket,
    role: SocketRole,
    upgrade: { request: IncomingMessage; url: URL; address: string; tooMany: boolean },
  ): void {
    const { request, url, address, tooMany } = upgrade;
    const { maxListenersPerAddress } = this.deps.config.rateLimits;
    this.heartbeat.watch(ws, role);
    if (tooMany) {
      this.refuseRateLimited(ws, role, 'too many connections from your address; retry in a few seconds');
      return;
    }
    if (role === 'speaker') {
      SpeakerConnection.accept(ws, request, url, this.deps);
      return;
    }
    if (!this.listenersPerAddress.acquire(address)) {
      this.refuseRateLimited(
        ws,
        role,
        `too many listeners from your address (at most ${maxListenersPerAddress})`,
      );
      return;
    }
    ws.once('close', () => this.listenersPerAddress.release(address));
    ListenerConnection.accept(ws, request, url, this.deps);
  }

  private refuseRateLimited(ws: WebSocket, role: SocketRole, message: string): void {
    this.deps.metrics.wsRejected.inc({ role, code: String(CloseCode.RATE_LIMITED) });
    sendJson(ws, { type: 'error', code: ErrorCode.RATE_LIMITED, message });
    closeHard(ws, CloseCode.RATE_LIMITED, message);
  }

  /** Refuse new upgrades, stop the heartbeat and say goodbye (GOING_AWAY) to every socket. */
  beginShutdown(): void {
    this.shuttingDown = true;
    this.heartbeat.stop();
    for (const ws of this.wss.clients) closeWith(ws, CloseCode.GOING_AWAY, 'server shutting down');
  }

  /** Drop every socket still open (shutdown deadline). */
  terminateAll(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}
