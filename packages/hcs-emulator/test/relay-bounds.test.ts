/**
 * The relay's bounds against misbehaving peers: a scripted guest against the real RelayHost, and a
 * scripted host against the real guest half (`uvmkit-relay`). Each violation is a protocol error
 * that resets the relay connection (a new SYNC, or the guest's RESYNC), never a crash; each limit
 * that a well-behaved peer can reach is a typed refusal.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RelayHost } from '../src/hcsd/engines/qemu/relay.js';
import {
  encodeFrame,
  encodeHello,
  encodeSync,
  FrameType,
  guidToBytes,
  MAX_PAYLOAD,
  RelayDecoder,
  type RelayFrame,
  u32,
} from '../src/hcsd/engines/qemu/relay-frame.js';
import {
  buildGuestRelay,
  type GuestRelay,
  PortProxy,
  RUNTIME_ID,
  startGuestRelay,
  tempDir,
  until,
  vsockService,
} from './helpers/relay-rig.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const SERVICE = vsockService(0x6000);
const cleanup: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

interface Seen {
  type: number;
  stream: number;
  payload: Buffer;
}

/** A guest written as a script: reads the host's frames (skipping the pad), writes raw bytes. */
class ScriptedGuest {
  readonly frames: Seen[] = [];
  readonly nonces: Buffer[] = [];
  #buf = Buffer.alloc(0);
  readonly sock: Socket;
  constructor(sock: Socket) {
    this.sock = sock;
    sock.on('data', (b: Buffer) => this.#feed(b));
  }
  #feed(b: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, b]);
    for (;;) {
      let i = 0;
      while (i < this.#buf.length && this.#buf[i] === 0) i++; // the pad before a SYNC
      this.#buf = this.#buf.subarray(i);
      if (this.#buf.length < 8) return;
      const len = this.#buf.readUInt16LE(2);
      if (this.#buf.length < 8 + len) return;
      const f = {
        type: this.#buf[0]!,
        stream: this.#buf.readUInt32LE(4),
        payload: this.#buf.subarray(8, 8 + len),
      };
      this.#buf = this.#buf.subarray(8 + len);
      if (f.type === FrameType.Sync) this.nonces.push(Buffer.from(f.payload.subarray(8, 16)));
      this.frames.push(f);
    }
  }
  send(b: Buffer): void {
    this.sock.write(b);
  }
  hello(listeners: string[] = []): void {
    this.send(encodeHello(this.nonces.at(-1)!, listeners));
  }
  of(type: number): Seen[] {
    return this.frames.filter((f) => f.type === type);
  }
}

async function hostWithScriptedGuest() {
  const t = tempDir();
  const proxy = new PortProxy(t.dir);
  await proxy.listen();
  const hvsock = join(t.dir, 'h'); // <dir>/<runtimeId>-<service>.sock must fit sun_path
  mkdirSync(hvsock);
  const gsock = connect(proxy.portPath);
  await once(gsock, 'connect');
  await until(() => proxy.guest !== undefined, 'the port connection');
  const guest = new ScriptedGuest(gsock);
  const logs: string[] = [];
  const host = new RelayHost({
    chardevPath: proxy.chardevPath,
    hvsockDir: hvsock,
    runtimeId: RUNTIME_ID,
    logger: { info: (m) => logs.push(m), error: (m) => logs.push(`ERROR ${m}`) },
  });
  host.start();
  cleanup.push(
    () => t.remove(),
    () => proxy.close(),
    () => {
      gsock.destroy();
    },
    () => host.close(),
  );
  await until(() => guest.nonces.length === 1, 'the first SYNC');
  return { host, guest, hvsock, logs, proxy };
}

async function hostService(path: string): Promise<Server> {
  const accepted: Socket[] = [];
  const srv = createServer((s) => {
    accepted.push(s);
    s.on('error', () => {});
  });
  srv.listen(path);
  await once(srv, 'listening');
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        for (const s of accepted) s.destroy();
        srv.close(() => r());
      }),
  );
  return srv;
}

const open = (id: number, service = SERVICE) => encodeFrame(FrameType.Open, id, guidToBytes(service));

describe('relay host against a scripted guest', () => {
  it('ignores a HELLO with a stale nonce and syncs on the right one', async () => {
    const { host, guest } = await hostWithScriptedGuest();
    guest.send(encodeHello(Buffer.alloc(8, 7), []));
    guest.send(Buffer.from('garbage between the frames'));
    await new Promise((r) => setTimeout(r, 50));
    expect(host.inspect().synced).toBe(false);
    const hello = once(host.events, 'guest-hello');
    guest.hello([SERVICE]);
    expect((await hello)[0]).toEqual({ version: 1, window: 256 * 1024, listeners: [SERVICE] });
    expect(host.inspect()).toMatchObject({ synced: true, resyncs: 1, protocolErrors: 0 });
  });

  it('bounds opens in progress (16) and streams (128) with OPEN_FAIL limit', async () => {
    const { host, guest, hvsock } = await hostWithScriptedGuest();
    await hostService(join(hvsock, `${RUNTIME_ID}-${SERVICE}.sock`));
    guest.hello();
    await until(() => host.inspect().synced, 'the sync');
    const answers = () => guest.of(FrameType.OpenOk).length + guest.of(FrameType.OpenFail).length;
    // a burst: the host connects at most 16 at a time
    for (let i = 0; i < 20; i++) guest.send(open(2 * i + 1));
    await until(() => answers() === 20, 'the burst answered');
    expect(guest.of(FrameType.OpenOk)).toHaveLength(16);
    const failText = (f: Seen) => [f.payload.readUInt32LE(0), f.payload.subarray(4).toString()];
    expect(guest.of(FrameType.OpenFail).map(failText)).toEqual(
      Array(4).fill([2, 'too many opens in progress']),
    );
    // in steps of 16 up to 128 streams; the next one is refused
    let id = 41;
    while (host.inspect().streams.length < 128) {
      const n = Math.min(16, 128 - host.inspect().streams.length);
      const want = answers() + n;
      for (let i = 0; i < n; i++, id += 2) guest.send(open(id));
      await until(() => answers() === want, 'a step answered');
    }
    expect(guest.of(FrameType.OpenOk)).toHaveLength(128);
    guest.send(open(id));
    await until(() => answers() === 20 + 112 + 1, 'the last answer');
    const last = guest.of(FrameType.OpenFail).at(-1)!;
    expect([last.stream, ...failText(last)]).toEqual([id, 2, 'too many streams']);
    expect(host.inspect().streams).toHaveLength(128);
    expect(host.inspect().protocolErrors).toBe(0);
  });

  const guids = (n: number) =>
    Array.from(
      { length: n },
      (_, i) => `${(0x7000 + i).toString(16).padStart(8, '0')}-facb-11e6-bd58-64006a7986d3`,
    );
  const violations: [string, string, () => Buffer[]][] = [
    [
      'DATA beyond the granted credit',
      'DATA beyond the granted credit',
      () => [
        // the host service does not read: beyond its socket buffer and the window, credit runs out
        ...Array.from({ length: 64 }, () => encodeFrame(FrameType.Data, 1001, Buffer.alloc(MAX_PAYLOAD))),
      ],
    ],
    [
      '65 listeners',
      'too many listeners',
      () => guids(65).map((g) => encodeFrame(FrameType.Listen, 0, guidToBytes(g))),
    ],
    ['an OPEN id that is not new', 'OPEN with a stream id that is not new', () => [open(1005), open(1003)]],
    [
      'a frame for a stream never opened',
      'frame for stream 2001 that was never opened',
      () => [encodeFrame(FrameType.Close, 2001)],
    ],
    [
      'a length over 32760',
      'payload length 40000 > 32760',
      () => [Buffer.from([FrameType.Data, 0, 0x40, 0x9c, 1, 0, 0, 0])],
    ],
    ['nonzero flags', 'nonzero flags', () => [Buffer.from([FrameType.Close, 1, 0, 0, 1, 0, 0, 0])]],
    ['a HELLO while synced', 'HELLO without a SYNC', () => [encodeHello(Buffer.alloc(8), [])]],
    ['an OPEN with a host-side id', 'bad OPEN shape', () => [open(2)]],
    ['a CREDIT of zero', 'bad CREDIT value', () => [encodeFrame(FrameType.Credit, 1, u32(0))]],
  ];

  it.each(violations)('%s is a protocol error: streams reset, a new SYNC', async (_name, reason, frames) => {
    const { host, guest, hvsock, logs } = await hostWithScriptedGuest();
    await hostService(join(hvsock, `${RUNTIME_ID}-${SERVICE}.sock`));
    guest.hello();
    await until(() => host.inspect().synced, 'the sync');
    guest.send(open(1001));
    await until(() => guest.of(FrameType.OpenOk).length === 1, 'a stream open before the violation');
    for (const f of frames()) guest.send(f);
    await until(() => guest.nonces.length === 2, 'a second SYNC');
    expect(host.inspect()).toMatchObject({ synced: false, protocolErrors: 1, streams: [] });
    expect(logs).toContain(`ERROR relay: guest protocol error (${reason}); resetting the relay connection`);
    guest.hello();
    await until(() => host.inspect().synced, 'the resync');
    expect(host.inspect().resyncs).toBe(2);
  });
});

/** A host written as a script against the real guest half. */
class ScriptedHost {
  readonly frames: RelayFrame[] = [];
  hello = false;
  readonly #dec = new RelayDecoder();
  readonly sock: Socket;
  constructor(sock: Socket) {
    this.sock = sock;
    const nonce = randomBytes(8);
    this.#dec.expect(nonce);
    sock.on('data', (b: Buffer) =>
      this.#dec.push(
        b,
        (f) => this.frames.push({ ...f, payload: Buffer.from(f.payload) }),
        () => {
          this.hello = true;
        },
      ),
    );
    sock.write(encodeSync(nonce));
  }
  of(type: number): RelayFrame[] {
    return this.frames.filter((f) => f.type === type);
  }
}

describe('guest relay against a scripted host', () => {
  let guest: GuestRelay;
  let dir: string;

  beforeAll(() => {
    buildGuestRelay();
  });

  async function start(): Promise<ScriptedHost> {
    const t = tempDir();
    dir = t.dir;
    const proxy = new PortProxy(t.dir);
    await proxy.listen();
    guest = await startGuestRelay(proxy, t.dir);
    const hs = connect(proxy.chardevPath);
    await once(hs, 'connect');
    const host = new ScriptedHost(hs);
    cleanup.push(
      () => t.remove(),
      () => proxy.close(),
      () => guest.stop(),
      () => {
        hs.destroy();
      },
    );
    await until(() => host.hello, 'the HELLO');
    return host;
  }

  /** Register a guest listener the way a guest program does; returns the registration socket. */
  async function register(service: string, path: string): Promise<{ sock: Socket; reply: string }> {
    const sock = connect(guest.apiPath);
    sock.on('error', () => {});
    sock.write(`LISTEN ${service} ${path}\n`);
    const [b] = (await once(sock, 'data')) as [Buffer];
    cleanup.push(() => {
      sock.destroy();
    });
    return { sock, reply: b.toString() };
  }

  it('refuses the 129th stream with OPEN_FAIL limit, and a service without a listener with refused', async () => {
    const host = await start();
    const path = join(dir, 'svc.sock');
    await hostService(path);
    expect((await register(SERVICE, path)).reply).toBe('OK\n');
    await until(() => host.of(FrameType.Listen).length === 1, 'the LISTEN frame');
    for (let i = 1; i <= 129; i++) host.sock.write(encodeFrame(FrameType.Open, 2 * i, guidToBytes(SERVICE)));
    host.sock.write(encodeFrame(FrameType.Open, 1000, guidToBytes(vsockService(0x6001))));
    await until(
      () => host.of(FrameType.OpenOk).length + host.of(FrameType.OpenFail).length === 130,
      'all answers',
    );
    expect(host.of(FrameType.OpenOk)).toHaveLength(128);
    const fails = host
      .of(FrameType.OpenFail)
      .map((f) => [f.stream, f.payload.readUInt32LE(0), f.payload.subarray(4).toString()]);
    expect(fails).toEqual([
      [258, 2, 'too many streams'],
      [1000, 1, 'no guest listener for the service'],
    ]);
  });

  it('answers DATA beyond the credit with a RESYNC and resets its streams', async () => {
    const host = await start();
    const path = join(dir, 'svc.sock');
    await hostService(path);
    await register(SERVICE, path);
    host.sock.write(encodeFrame(FrameType.Open, 2, guidToBytes(SERVICE)));
    await until(() => host.of(FrameType.OpenOk).length === 1, 'OPEN_OK');
    // the listener does not read: beyond its socket buffer and the window, credit runs out
    for (let i = 0; i < 64; i++) host.sock.write(encodeFrame(FrameType.Data, 2, Buffer.alloc(MAX_PAYLOAD)));
    await until(() => host.of(FrameType.Resync).length === 1, 'the RESYNC');
    expect(host.of(FrameType.Resync)[0]!.payload.toString()).toBe('DATA beyond the granted credit');
    expect(guest.stderr()).toContain('protocol error: DATA beyond the granted credit; resynchronizing');
    expect(guest.stderr()).toContain('stream 2 reset');
  });

  it('holds at most 64 listener registrations', async () => {
    await start();
    for (let i = 0; i < 64; i++) {
      const r = await register(vsockService(0x8000 + i), join(dir, `l${i}.sock`));
      expect(r.reply).toBe('OK\n');
    }
    expect((await register(vsockService(0x9000), join(dir, 'x.sock'))).reply).toBe(
      'ERR limit too many listeners\n',
    );
  });
});
