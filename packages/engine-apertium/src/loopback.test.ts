/**
 * apertium-apy binds every interface and has no option to change that; ApertiumMt runs it through
 * LOOPBACK_LAUNCHER so it listens on 127.0.0.1 only. These tests start a stand-in apy script (the
 * real apy is not needed) through ApertiumMt and read which addresses its process listens on from
 * /proc, so they fail if the launcher stops working. The stand-in binds the way apy does: through
 * tornado's TCPServer.bind(port) with no address. Without tornado installed, a minimal stand-in
 * tornado module provides that one method with the same signature and the same default (all
 * interfaces); with the real tornado (Debian's python3-tornado, pulled in by apertium-apy) a second
 * test binds through tornado's HTTPServer exactly as apy's main() does.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ApertiumMt } from './apertium-mt.ts';

const linux = process.platform === 'linux' && existsSync('/proc/net/tcp');
const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));
const hasRealTornado = (() => {
  if (!python) return false;
  try {
    execFileSync(python, ['-c', 'import tornado.httpserver'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const dir = mkdtempSync(join(tmpdir(), 'babelcast-apy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PAIRS = '[{"sourceLanguage": "eng", "targetLanguage": "spa"}]';

/** tornado.tcpserver.TCPServer.bind as tornado declares it: no address means every interface. */
const STUB_TORNADO_TCPSERVER = `
import socket
class TCPServer:
    def bind(self, port, address=None, family=socket.AF_UNSPEC, backlog=128, reuse_port=False):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address or '0.0.0.0', port))
        sock.listen(backlog)
        self.listening = sock
`;

/** Stand-in apy on the stub: binds like apy, answers /listPairs, nothing else. */
const APY_ON_STUB = `#!/usr/bin/env python3
import sys
from tornado.tcpserver import TCPServer
port = int(sys.argv[sys.argv.index('--port') + 1])
server = TCPServer()
server.bind(port)
body = b'{"responseData": ${PAIRS}, "responseStatus": 200}'
while True:
    conn, _ = server.listening.accept()
    conn.recv(65536)
    conn.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\nConnection: close\\r\\nContent-Length: '
                 + str(len(body)).encode() + b'\\r\\n\\r\\n' + body)
    conn.close()
`;

/** Stand-in apy on the real tornado, bound as apy's main() binds (HTTPServer.bind(port); start()). */
const APY_ON_TORNADO = `#!/usr/bin/env python3
import sys, json
import tornado.web, tornado.httpserver, tornado.ioloop
port = int(sys.argv[sys.argv.index('--port') + 1])
class ListPairs(tornado.web.RequestHandler):
    def get(self):
        self.set_header('Content-Type', 'application/json')
        self.write(json.dumps({'responseData': json.loads('${PAIRS}'), 'responseStatus': 200}))
app = tornado.web.Application([(r'/listPairs', ListPairs)])
server = tornado.httpserver.HTTPServer(app)
server.bind(port)
server.start(1)
tornado.ioloop.IOLoop.current().start()
`;

function script(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, 0o755);
  return path;
}

const stubPath = join(dir, 'stub');
mkdirSync(join(stubPath, 'tornado'), { recursive: true });
writeFileSync(join(stubPath, 'tornado', '__init__.py'), '');
writeFileSync(join(stubPath, 'tornado', 'tcpserver.py'), STUB_TORNADO_TCPSERVER);
const pairsPath = join(dir, 'modes');
mkdirSync(pairsPath);

/** "address:port" of every listening TCP socket the process holds, from /proc. */
function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {}
  }
  const out: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9]!)) continue;
      const [hexAddr, hexPort] = f[1]!.split(':') as [string, string];
      out.push(`${decodeAddress(hexAddr)}:${Number.parseInt(hexPort, 16)}`);
    }
  }
  return out.sort();
}

function decodeAddress(hex: string): string {
  if (hex.length === 8)
    return (hex.match(/../g) ?? [])
      .reverse()
      .map((b) => Number.parseInt(b, 16))
      .join('.');
  if (/^0{32}$/.test(hex)) return '::';
  if (hex === '0000000000000000FFFF00000100007F') return '::ffff:127.0.0.1';
  if (hex === '00000000000000000000000001000000') return '::1';
  return `ipv6:${hex}`;
}

/** Can a TCP connection be made to host:port? */
function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** A non-loopback IPv4 address of this machine, if it has one. */
const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

const engines: ApertiumMt[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
  delete process.env.PYTHONPATH;
});

async function startApy(apyPath: string, options: { loopbackOnly?: boolean; stub: boolean }) {
  if (options.stub) process.env.PYTHONPATH = stubPath;
  const mt = new ApertiumMt({
    apyPath,
    pairsPath,
    python,
    loopbackOnly: options.loopbackOnly,
    healthIntervalMs: 0,
    startTimeoutMs: 15_000,
  });
  engines.push(mt);
  await mt.init();
  expect(mt.capabilities.pairs.some((p) => p.from === 'en' && p.to === 'es')).toBe(true);
  const listening = listeningAddresses(mt.apyPid!);
  expect(listening).toHaveLength(1);
  return { mt, address: listening[0]!, port: Number(listening[0]!.split(':').at(-1)) };
}

describe.runIf(linux && python)('apertium-apy loopback binding', () => {
  it('the launcher makes an apy that binds every interface listen on 127.0.0.1 only', async () => {
    const { address, port } = await startApy(script('apy-stub.py', APY_ON_STUB), { stub: true });
    expect(address).toBe(`127.0.0.1:${port}`);
    expect(await reachable('127.0.0.1', port)).toBe(true);
    if (externalAddress) expect(await reachable(externalAddress, port)).toBe(false);
  }, 30_000);

  it('without the launcher the same apy listens on every interface (the check above can fail)', async () => {
    const { address, port } = await startApy(script('apy-stub-open.py', APY_ON_STUB), {
      stub: true,
      loopbackOnly: false,
    });
    expect(address).toBe(`0.0.0.0:${port}`);
    if (externalAddress) expect(await reachable(externalAddress, port)).toBe(true);
  }, 30_000);

  it.runIf(hasRealTornado)(
    'binds 127.0.0.1 only with the real tornado HTTPServer, as apy uses it',
    async () => {
      const { address, port } = await startApy(script('apy-tornado.py', APY_ON_TORNADO), { stub: false });
      expect(address).toBe(`127.0.0.1:${port}`);
      if (externalAddress) expect(await reachable(externalAddress, port)).toBe(false);
    },
    30_000,
  );
});
