/**
 * The Winsock HvSocket transport (src/hvsocket/windows.ts) under Windows Node. Windows-only by
 * nature (ws2_32.dll through koffi), so this directory is not in the Linux test project; it runs
 * in `pnpm test:windows` (Wine). Wine has no AF_HYPERV, so every test injects an AF_INET
 * `Addressing` that maps (vmId, serviceId) to a loopback port: what runs is the transport's own
 * logic — non-blocking sockets, the one WSAPoll poller, connect completion, accept, half-close,
 * timeouts, aborts — with only the address family swapped. SOCKADDR_HV bytes are tested in
 * test/hvsocket.test.ts on every platform.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { HcsError } from '../src/errors.js';
import { vsockServiceId } from '../src/hvsocket/index.js';
import { type Addressing, dialHyperV, listenHyperV } from '../src/hvsocket/windows.js';
import { loadWinsock } from '../src/native/winsock.js';

const AF_INET = 2;
const IPPROTO_TCP = 6;
const VM = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

/** sockaddr_in for 127.0.0.1:port (16 bytes). */
function sockaddrIn(port: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(AF_INET, 0);
  b.writeUInt16BE(port, 2);
  b.set([127, 0, 0, 1], 4);
  return b;
}

/** AF_INET addressing: every (vmId, serviceId) goes to 127.0.0.1:port. */
function inet(port: number): Addressing {
  return { family: AF_INET, protocol: IPPROTO_TCP, sockaddr: () => sockaddrIn(port) };
}

/** A loopback port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

let n = 0;
const service = () => vsockServiceId(0x60000000 + ++n);

async function rejection(p: Promise<unknown>): Promise<HcsError> {
  try {
    await p;
  } catch (e) {
    return e as HcsError;
  }
  throw new Error('expected a rejection');
}

function readAll(s: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => parts.push(d));
    s.once('end', () => resolve(Buffer.concat(parts)));
    s.once('error', reject);
  });
}

async function pair(): Promise<{ client: Duplex; server: Duplex }> {
  const addressing = inet(await freePort());
  const address = { vmId: VM, serviceId: service() };
  const l = await listenHyperV(address, addressing);
  const accepted = l.accept({ timeout: 10_000 });
  const client = await dialHyperV({ ...address, timeout: 10_000 }, addressing);
  const server = await accepted;
  expect(l.closed).toBe(true);
  return { client, server };
}

describe('Winsock transport (AF_INET injected)', () => {
  it('dial + accept; 1 MiB each way arrives intact; half-close lets the other side still answer', async () => {
    const { client, server } = await pair();
    const up = randomBytes(1024 * 1024);
    const down = randomBytes(1024 * 1024);
    const atServer = readAll(server);
    const atClient = readAll(client);
    client.end(up); // half-close: the server reads EOF after 1 MiB but can still write
    expect((await atServer).equals(up)).toBe(true);
    server.end(down);
    expect((await atClient).equals(down)).toBe(true);
    client.destroy();
    server.destroy();
  });

  it('a connection nobody accepts is refused: ConnectFailed', async () => {
    const err = await rejection(
      dialHyperV({ vmId: VM, serviceId: service(), timeout: 10_000 }, inet(await freePort())),
    );
    expect({ code: err.code, message: err.message }).toEqual({
      code: 'ConnectFailed',
      message: 'hvsocket.dial: connection refused',
    });
  });

  it('a connect that never completes (full backlog) times out, and an abort ends it: Timeout, Aborted', async () => {
    // A raw listening socket with backlog 1 that never accepts: connects beyond it stay pending.
    const w = await loadWinsock();
    const port = await freePort();
    const s = BigInt(w.socket(AF_INET, 1, IPPROTO_TCP));
    expect(w.bind(s, sockaddrIn(port), 16)).toBe(0);
    expect(w.listen(s, 1)).toBe(0);
    const connected: Duplex[] = [];
    try {
      let timeout: HcsError | undefined;
      for (let i = 0; i < 16 && timeout === undefined; i++) {
        try {
          connected.push(await dialHyperV({ vmId: VM, serviceId: service(), timeout: 300 }, inet(port)));
        } catch (e) {
          timeout = e as HcsError;
        }
      }
      expect({ code: timeout?.code, message: timeout?.message }).toEqual({
        code: 'Timeout',
        message: 'hvsocket.dial timed out after 300 ms',
      });
      const ac = new AbortController();
      const pending = rejection(
        dialHyperV({ vmId: VM, serviceId: service(), signal: ac.signal }, inet(port)),
      );
      setTimeout(() => ac.abort('stop'), 50);
      const aborted = await pending;
      expect({ code: aborted.code, cause: aborted.cause }).toEqual({ code: 'Aborted', cause: 'stop' });
    } finally {
      for (const c of connected) c.destroy();
      w.closesocket(s);
    }
  });

  it('accept: Timeout, Aborted (cause = reason), Closed; each closes the listener', async () => {
    const addressing = inet(await freePort());
    const l1 = await listenHyperV({ vmId: VM, serviceId: service() }, addressing);
    expect((await rejection(l1.accept({ timeout: 60 }))).code).toBe('Timeout');
    expect(l1.closed).toBe(true);
    const ac = new AbortController();
    const l2 = await listenHyperV({ vmId: VM, serviceId: service(), signal: ac.signal }, addressing);
    const p2 = rejection(l2.accept());
    ac.abort('bye');
    const e2 = await p2;
    expect({ code: e2.code, cause: e2.cause, closed: l2.closed }).toEqual({
      code: 'Aborted',
      cause: 'bye',
      closed: true,
    });
    const l3 = await listenHyperV({ vmId: VM, serviceId: service() }, addressing);
    const p3 = rejection(l3.accept());
    await l3.close();
    expect((await p3).code).toBe('Closed');
    // the port is free again: the listener's socket was really closed
    const l4 = await listenHyperV({ vmId: VM, serviceId: service() }, addressing);
    await l4.close();
  });

  it('bind on a port in use fails with TransportFailed and the WSA error', async () => {
    const port = await freePort();
    const l = await listenHyperV({ vmId: VM, serviceId: service() }, inet(port));
    try {
      const err = await rejection(listenHyperV({ vmId: VM, serviceId: service() }, inet(port)));
      expect({ code: err.code, message: err.message }).toEqual({
        code: 'TransportFailed',
        message: 'hvsocket: bind/listen failed with WSA error 10048',
      });
    } finally {
      await l.close();
    }
  });

  it('the poller stops once no socket is open, so a process exits on its own', async () => {
    const windowsJs = new URL('../dist/hvsocket/windows.js', import.meta.url).href;
    const script = `
      import { createServer } from 'node:net';
      const { listenHyperV, dialHyperV } = await import(${JSON.stringify(windowsJs)});
      const srv = createServer(); await new Promise((r) => srv.listen(0, '127.0.0.1', r));
      const port = srv.address().port; await new Promise((r) => srv.close(r));
      const sa = Buffer.alloc(16); sa.writeUInt16LE(2, 0); sa.writeUInt16BE(port, 2); sa.set([127, 0, 0, 1], 4);
      const inet = { family: 2, protocol: 6, sockaddr: () => sa };
      const a = { vmId: '${VM}', serviceId: '${service()}' };
      const l = await listenHyperV(a, inet);
      const accepted = l.accept();
      const c = await dialHyperV(a, inet);
      const s = await accepted;
      c.end('ping'); s.resume(); s.on('end', () => { s.destroy(); c.destroy(); console.log('done'); });
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 30_000,
    });
    expect(stdout.trim()).toBe('done');
  });
});
