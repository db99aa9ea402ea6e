/**
 * The relay's host half (RelayHost) against the real guest half (`uvmkit-relay`, C, built for the
 * host under ASan/UBSan), through a Unix-socket stand-in for the virtio-serial port.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it, onTestFailed, vi } from 'vitest';
import { RelayHost } from '../src/hcsd/engines/qemu/relay.js';
import {
  buildGuestRelay,
  type GuestRelay,
  guestTool,
  PortProxy,
  RUNTIME_ID,
  startGuestRelay,
  tempDir,
  until,
  vsockService,
} from './helpers/relay-rig.js';

const GCS = vsockService(0x40000000);
const ECHO = vsockService(0x5000);

interface Rig {
  dir: string;
  hvsock: string;
  proxy: PortProxy;
  guest: GuestRelay;
  host: RelayHost;
  logs: string[];
  cleanup: (() => Promise<void> | void)[];
}

let rig: Rig;

function hvsockPath(service: string): string {
  return join(rig.hvsock, `${RUNTIME_ID}-${service}.sock`);
}

async function startRig(): Promise<Rig> {
  const t = tempDir();
  const proxy = new PortProxy(t.dir);
  await proxy.listen();
  const guest = await startGuestRelay(proxy, t.dir);
  const logs: string[] = [];
  const hvsock = join(t.dir, 'h'); // <dir>/<runtimeId>-<service>.sock must fit sun_path
  mkdirSync(hvsock, { mode: 0o700 });
  const host = new RelayHost({
    chardevPath: proxy.chardevPath,
    hvsockDir: hvsock,
    runtimeId: RUNTIME_ID,
    logger: { info: (m) => logs.push(m), error: (m, e) => logs.push(`ERROR ${m} ${String(e ?? '')}`) },
  });
  const hello = once(host.events, 'guest-hello');
  host.start();
  await hello;
  return {
    dir: t.dir,
    hvsock,
    proxy,
    guest,
    host,
    logs,
    cleanup: [() => host.close(), () => guest.stop(), () => proxy.close(), () => t.remove()],
  };
}

/** A host service at the hvsock path, as hcs-core's `listen` would create it. */
async function hostService(service: string, onConn: (s: Socket) => void): Promise<Server> {
  const accepted = new Set<Socket>();
  const srv = createServer({ allowHalfOpen: true }, (s) => {
    accepted.add(s);
    onConn(s);
  });
  srv.listen(hvsockPath(service));
  await once(srv, 'listening');
  rig.cleanup.unshift(
    () =>
      new Promise<void>((r) => {
        for (const s of accepted) s.destroy();
        srv.close(() => r());
      }),
  );
  return srv;
}

/** Start `uvmkit-relay echo` in the guest and wait until the host listens for it. */
async function guestEcho(service = ECHO) {
  const echo = guestTool([
    'echo',
    service,
    '--sock',
    rig.guest.apiPath,
    '--path',
    join(rig.dir, `echo-${service}.sock`),
  ]);
  rig.cleanup.unshift(async () => {
    if (echo.proc.exitCode === null) {
      echo.proc.kill('SIGKILL');
      await echo.exited;
    }
  });
  await until(() => echo.out().toString().includes('LISTENING'), 'the echo registration');
  await until(() => rig.host.inspect().listeners.some((l) => l.service === service), 'the host listener');
  return echo;
}

/** Connect to the guest service through the host listener and collect what comes back. */
function dialGuest(service = ECHO): {
  sock: Socket;
  data: () => Buffer;
  ended: Promise<void>;
  closed: Promise<void>;
} {
  const sock = connect({ path: hvsockPath(service), allowHalfOpen: true });
  const chunks: Buffer[] = [];
  sock.on('data', (b: Buffer) => chunks.push(b));
  sock.on('error', () => {});
  const ended = new Promise<void>((resolve, reject) => {
    sock.on('end', resolve);
    sock.on('close', () => reject(new Error('closed without an end')));
  });
  ended.catch(() => {});
  /** The relay dropped the stream: an EOF (or a close) without our end. */
  const closed = new Promise<void>((resolve) => {
    sock.on('end', () => resolve());
    sock.on('close', () => resolve());
  });
  return { sock, data: () => Buffer.concat(chunks), ended, closed };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(() => {
  buildGuestRelay();
});

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

beforeEach(async () => {
  rig = await startRig();
  onTestFailed(() => {
    console.error(`host log:\n${rig.logs.join('\n')}\nguest stderr:\n${rig.guest.stderr()}`);
  });
});

afterEach(async () => {
  for (const c of rig.cleanup) await c();
});

describe('relay: sync', () => {
  it('syncs on connect: one resync, no streams, no protocol errors', () => {
    const i = rig.host.inspect();
    expect(i).toEqual({
      connected: true,
      synced: true,
      resyncs: 1,
      protocolErrors: 0,
      streams: [],
      listeners: [],
    });
    expect(rig.guest.stderr()).toContain('synchronized with the host');
  });
});

describe('relay: the guest dials a host service', () => {
  it('CONNECT reaches the hvsock listener; data and half-close go both ways', async () => {
    let serverGot = Buffer.alloc(0);
    let serverSawEnd = false;
    await hostService(GCS, (s) => {
      s.on('data', (b: Buffer) => {
        serverGot = Buffer.concat([serverGot, b]);
      });
      s.on('end', () => {
        serverSawEnd = true;
        s.end('world after your end');
      });
    });
    const dial = guestTool(['dial', GCS, '--sock', rig.guest.apiPath]);
    dial.proc.stdin!.end('hello from the guest');
    expect(await dial.exited).toBe(0);
    expect(dial.out().toString()).toBe('world after your end');
    expect(serverGot.toString()).toBe('hello from the guest');
    expect(serverSawEnd).toBe(true);
    await until(() => rig.host.inspect().streams.length === 0, 'the stream to be gone');
  });

  it('a host service that writes 16 MiB and closes delivers all of it (the close waits for credit)', async () => {
    const n = 16 * 1024 * 1024;
    await hostService(GCS, async (s) => {
      s.resume();
      s.on('error', () => {});
      const chunk = Buffer.alloc(1024 * 1024, 0x33);
      for (let sent = 0; sent < n; sent += chunk.length) if (!s.write(chunk)) await once(s, 'drain');
      s.end();
    });
    const dial = guestTool(['dial', GCS, '--sock', rig.guest.apiPath]);
    dial.proc.stdin!.end();
    expect(await dial.exited).toBe(0);
    expect(dial.out().length).toBe(n);
    expect(dial.out().every((b) => b === 0x33)).toBe(true);
    await until(() => rig.host.inspect().streams.length === 0, 'the stream to be gone');
  }, 120_000);

  it('a service nobody listens on answers ERR refused', async () => {
    const dial = guestTool(['dial', vsockService(0x1234), '--sock', rig.guest.apiPath]);
    dial.proc.stdin!.end();
    expect(await dial.exited).toBe(1);
    expect(dial.err()).toMatch(
      /^uvmkit-relay: ERR refused ENOENT: no host listener for 00001234-facb-11e6-bd58-64006a7986d3\n$/,
    );
    expect(rig.host.inspect().streams).toEqual([]);
  });
});

describe('relay: the host dials a guest listener', () => {
  it('LISTEN creates the hvsock listener; a host connection is echoed, half-close included', async () => {
    await guestEcho();
    expect(rig.host.inspect().listeners).toEqual([{ service: ECHO, path: hvsockPath(ECHO) }]);
    const c = dialGuest();
    c.sock.end('ping through the relay');
    await c.ended;
    expect(c.data().toString()).toBe('ping through the relay');
    await c.closed;
    await until(() => rig.host.inspect().streams.length === 0, 'the stream to be gone');
  });

  it('the listener goes away when the guest registration closes', async () => {
    const echo = await guestEcho();
    echo.proc.kill('SIGKILL');
    await echo.exited;
    await until(() => rig.host.inspect().listeners.length === 0, 'the listener to be removed');
    expect(existsSync(hvsockPath(ECHO))).toBe(false);
  });

  it('10 MB through one stream arrive intact', async () => {
    await guestEcho();
    const c = dialGuest();
    const data = randomBytes(10 * 1024 * 1024);
    c.sock.end(data);
    await c.ended;
    expect(c.data().length).toBe(data.length);
    expect(sha(c.data())).toBe(sha(data));
  }, 120_000);
});

describe('relay: flow control', () => {
  it('a stalled stream does not block a flowing one, and what it buffers stays within the window', async () => {
    await guestEcho();
    const stalled = dialGuest();
    stalled.sock.pause(); // the host client never reads its echo
    const big = randomBytes(8 * 1024 * 1024);
    stalled.sock.write(big);
    const stalledStream = () => rig.host.inspect().streams.find((s) => s.id === 2);
    await until(() => {
      const s = stalledStream();
      return s !== undefined && s.hostCredit === 0 && s.guestCredit === 0;
    }, 'both windows of the stalled stream to be used up');
    // what the host holds for the stalled stream stays within the window (plus one local read)
    const bound = 256 * 1024 + 64 * 1024;
    expect(stalledStream()!.hostBuffered).toBeLessThanOrEqual(bound);

    const flowing = dialGuest();
    for (let i = 0; i < 20; i++) {
      const msg = `round trip ${i};`;
      const want = flowing.data().length + msg.length;
      flowing.sock.write(msg);
      await until(() => flowing.data().length >= want, `round trip ${i}`);
      expect(stalledStream()!.hostBuffered).toBeLessThanOrEqual(bound);
    }
    flowing.sock.end();
    await flowing.ended;
    expect(flowing.data().toString()).toBe(Array.from({ length: 20 }, (_, i) => `round trip ${i};`).join(''));
    // still stalled: far from all of it went to the guest
    expect(stalledStream()!.bytesOut).toBeLessThan(big.length / 2);

    stalled.sock.resume();
    stalled.sock.end();
    await stalled.ended;
    expect(sha(stalled.data())).toBe(sha(big));
  }, 120_000);
});

describe('relay: reset', () => {
  it('a host client that goes away while data flows resets the guest side; the service keeps serving', async () => {
    await guestEcho();
    const c = dialGuest();
    c.sock.write('first');
    await until(() => c.data().toString() === 'first', 'the first echo');
    // once echoes flow back, go away: the host side's next write fails and it resets the stream
    c.sock.write(randomBytes(4 * 1024 * 1024));
    await until(() => c.data().length > 256 * 1024, 'echoes to flow');
    c.sock.destroy();
    await until(() => rig.host.inspect().streams.length === 0, 'the stream to be reset');
    await until(() => rig.guest.stderr().includes('stream 2 reset'), 'the guest to reset stream 2');
    const d = dialGuest();
    d.sock.end('second');
    await d.ended;
    expect(d.data().toString()).toBe('second');
  });

  it('data toward a guest program that went away resets the host side', async () => {
    let server: Socket | undefined;
    let serverEnded = false;
    let serverClosed = false;
    await hostService(GCS, (s) => {
      server = s;
      s.resume();
      s.on('error', () => {});
      s.on('end', () => {
        serverEnded = true;
      });
      s.on('close', () => {
        serverClosed = true;
      });
    });
    const dial = guestTool(['dial', GCS, '--sock', rig.guest.apiPath]);
    dial.proc.stdin!.write('hi');
    await until(() => server !== undefined, 'the host service to be dialed');
    dial.proc.kill('SIGKILL');
    await dial.exited;
    // A Unix socket has no RST: the guest program's close reads as an EOF on the host side ...
    await until(() => serverEnded, 'the EOF of the guest program');
    // ... and the next data toward it resets the stream, so the host socket's writes fail
    const writer = setInterval(() => server!.write('nobody is there'), 20);
    try {
      await until(() => serverClosed, 'the host socket to be reset');
    } finally {
      clearInterval(writer);
    }
    await until(() => rig.host.inspect().streams.length === 0, 'the stream to be gone');
  });
});

describe('relay: host reconnect', () => {
  it('a cut mid-transfer resyncs: the partial frame is discarded, old streams reset, new streams work', async () => {
    await guestEcho();
    const c = dialGuest();
    const data = randomBytes(10 * 1024 * 1024);
    c.sock.write(data);
    await until(() => c.data().length > 1024 * 1024, 'the transfer to be under way');
    // cut inside a frame: 1001 bytes is never a frame boundary of 32 KiB DATA frames
    const hello = once(rig.host.events, 'guest-hello');
    rig.proxy.cutHostAfter(1001);
    await hello;
    await c.closed;
    expect(c.data().length).toBeLessThan(data.length);
    const i = rig.host.inspect();
    expect(i.resyncs).toBe(2);
    expect(i.protocolErrors).toBe(0);
    expect(rig.proxy.hostConnections).toBe(2);
    await until(() => rig.host.inspect().streams.length === 0, 'old streams to be gone');
    expect(rig.host.inspect().listeners).toEqual([{ service: ECHO, path: hvsockPath(ECHO) }]);
    const d = dialGuest();
    d.sock.end('after the reconnect');
    await d.ended;
    expect(d.data().toString()).toBe('after the reconnect');
  }, 120_000);

  it('a guest caught inside a host frame by the reconnect finds the new SYNC (the pad)', async () => {
    await guestEcho();
    // what the guest saw last of the old connection: a DATA header announcing 28 KiB, 100 bytes of it
    const partial = Buffer.alloc(8 + 100);
    partial.writeUInt8(7, 0);
    partial.writeUInt16LE(28 * 1024, 2);
    partial.writeUInt32LE(2, 4);
    rig.proxy.injectToGuest(partial);
    const hello = once(rig.host.events, 'guest-hello');
    rig.proxy.cutHost();
    await hello;
    expect(rig.host.inspect().resyncs).toBe(2);
    const d = dialGuest();
    d.sock.end('still fine');
    await d.ended;
    expect(d.data().toString()).toBe('still fine');
  });
});

describe('relay: garbage', () => {
  it('garbage toward the host is a protocol error: streams reset, resync, new streams work', async () => {
    await guestEcho();
    const c = dialGuest();
    c.sock.write('x');
    await until(() => c.data().length === 1, 'the first echo');
    const hello = once(rig.host.events, 'guest-hello');
    rig.proxy.injectToHost(Buffer.from([0xee, 0, 0, 0, 1, 0, 0, 0]));
    await hello;
    await c.closed;
    expect(rig.host.inspect()).toMatchObject({ resyncs: 2, protocolErrors: 1, synced: true });
    expect(
      rig.logs.some((l) => l.includes('guest protocol error (frame type 238 not sent by the guest)')),
    ).toBe(true);
    const d = dialGuest();
    d.sock.end('ok');
    await d.ended;
    expect(d.data().toString()).toBe('ok');
  });

  it('garbage toward the guest makes it ask for a resync', async () => {
    await guestEcho();
    const hello = once(rig.host.events, 'guest-hello');
    rig.proxy.injectToGuest(Buffer.concat([Buffer.from([0x63, 0, 0, 0, 0, 0, 0, 0]), randomBytes(3000)]));
    await hello;
    expect(rig.host.inspect()).toMatchObject({ resyncs: 2, protocolErrors: 0, synced: true });
    expect(rig.guest.stderr()).toContain('protocol error: frame type not sent by the host; resynchronizing');
    expect(
      rig.logs.some((l) => l.includes('guest asks for a resync (frame type not sent by the host)')),
    ).toBe(true);
    const d = dialGuest();
    d.sock.end('ok');
    await d.ended;
    expect(d.data().toString()).toBe('ok');
  });
});

describe('relay: the guest-side API', () => {
  async function request(line: string | Buffer): Promise<string> {
    const s = connect(rig.guest.apiPath);
    s.on('error', () => {});
    const chunks: Buffer[] = [];
    s.on('data', (b: Buffer) => chunks.push(b));
    s.write(line);
    await once(s, 'close');
    return Buffer.concat(chunks).toString();
  }

  it('rejects a bad header line with ERR bad-request', async () => {
    expect(await request('HELLO there\n')).toBe(
      'ERR bad-request expected CONNECT <guid> or LISTEN <guid> <absolute-path>\n',
    );
    expect(await request('CONNECT not-a-guid\n')).toBe(
      'ERR bad-request expected CONNECT <guid> or LISTEN <guid> <absolute-path>\n',
    );
    expect(await request(`LISTEN ${ECHO} relative/path\n`)).toBe(
      'ERR bad-request expected CONNECT <guid> or LISTEN <guid> <absolute-path>\n',
    );
    expect(await request(Buffer.alloc(600, 'A'))).toBe('ERR bad-request header line too long\n');
  });

  it('a second LISTEN for the same service is ERR in-use', async () => {
    await guestEcho();
    expect(await request(`LISTEN ${ECHO} /tmp/other.sock\n`)).toBe(
      'ERR in-use the service already has a guest listener\n',
    );
  });
});
