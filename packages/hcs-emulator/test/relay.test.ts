/**
 * The relay's host half (RelayHost) against the real guest half (`uvmkit-relay`, C, built for the
 * host under ASan/UBSan), through a Unix-socket stand-in for the virtio-serial port.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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
  const hvsock = join(t.dir, 'hvsock');
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
  const srv = createServer({ allowHalfOpen: true }, onConn);
  srv.listen(hvsockPath(service));
  await once(srv, 'listening');
  rig.cleanup.unshift(() => new Promise<void>((r) => srv.close(() => r())));
  return srv;
}

/** Start `uvmkit-relay echo` in the guest and wait until the host listens for it. */
async function guestEcho(service = ECHO) {
  const echo = guestTool(['echo', service, '--sock', rig.guest.apiPath, '--path', join(rig.dir, `echo-${service}.sock`)]);
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
function dialGuest(service = ECHO): { sock: Socket; data: () => Buffer; ended: Promise<void>; closed: Promise<void> } {
  const sock = connect({ path: hvsockPath(service), allowHalfOpen: true });
  const chunks: Buffer[] = [];
  sock.on('data', (b: Buffer) => chunks.push(b));
  sock.on('error', () => {});
  const ended = once(sock, 'end').then(() => {});
  const closed = once(sock, 'close').then(() => {});
  ended.catch(() => {});
  return { sock, data: () => Buffer.concat(chunks), ended, closed };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(() => {
  buildGuestRelay();
});

beforeEach(async () => {
  rig = await startRig();
});

afterEach(async () => {
  for (const c of rig.cleanup) await c();
});

describe('relay: sync', () => {
  it('syncs on connect: one resync, no streams, no protocol errors', () => {
    const i = rig.host.inspect();
    expect(i).toEqual({ connected: true, synced: true, resyncs: 1, protocolErrors: 0, streams: [], listeners: [] });
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

  it('a service nobody listens on answers ERR refused', async () => {
    const dial = guestTool(['dial', vsockService(0x1234), '--sock', rig.guest.apiPath]);
    dial.proc.stdin!.end();
    expect(await dial.exited).toBe(1);
    expect(dial.err()).toMatch(/^uvmkit-relay: ERR refused ENOENT: no host listener for 00001234-facb-11e6-bd58-64006a7986d3\n$/);
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
