/**
 * hcsd as a service people can trust (issue 11): each attack of the issue, reproduced, with the
 * bound it now meets — memory (RSS of the daemon), the bystander's VMs, refusals with a clear
 * reason, other uids, the fault API, deep documents, and "0"-keyed SCSI controllers.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HcsdControlError } from '../src/control.js';
import { encodeRequest, MAX_FRAME } from '../src/hcsd/codec.js';
import { HR } from '../src/hcsd/errors.js';
import { DEFAULT_LIMITS, LIMITS_ENV } from '../src/hcsd/limits.js';
import { Method } from '../src/hcsd/methods.js';
import { hcsdCliPath } from '../src/paths.js';
import { type HcsdProcess, startHcsd } from '../src/start.js';
import { firstResponse, rawConnect, rssMiB, runCli } from './helpers/attack.js';
import { resultError, TestClient, vmConfig } from './helpers/hcsd.js';

const started: HcsdProcess[] = [];
async function daemon(limits?: Record<string, number>): Promise<HcsdProcess> {
  const h = await startHcsd(limits === undefined ? {} : { env: { [LIMITS_ENV]: JSON.stringify(limits) } });
  started.push(h);
  return h;
}
afterAll(async () => {
  for (const h of started) await h.stop();
});

let n = 0;
const uid = (p: string): string => `sec-${p}-${process.pid}-${++n}`;

describe('§1 an answer over the frame limit', () => {
  it('is refused with an error answer; the bystander keeps its connection and its VMs', async () => {
    const h = await daemon();
    const attacker = await TestClient.connect(h.socketPath, 'attacker');
    const bystander = await TestClient.connect(h.socketPath, 'bystander');
    const mine = await bystander.running(uid('mine'), vmConfig({ terminate: true }));
    // Owners at the cap (128 Ki UTF-16 units, 3 bytes each in UTF-8): enough of them make an
    // Enumerate answer larger than the 64 MiB frame the shim accepts.
    const owner = '中'.repeat(DEFAULT_LIMITS.maxOwnerLength);
    const count = Math.ceil(MAX_FRAME / Buffer.byteLength(owner)) + 2;
    for (let i = 0; i < count; i++) await attacker.create(uid('big'), vmConfig({ Owner: owner }));
    const r = await bystander.call('Enumerate', 0n, []);
    expect(r.hresult).toBe(HR.HCS_E_OPERATION_RESULT_ALLOCATION_FAILED);
    expect(resultError(r).ErrorMessage).toMatch(/more than hcsd's frame limit of 67108864 bytes/);
    // the connection and the VM created with ShouldTerminateOnLastHandleClosed are still there
    expect(((await bystander.props(mine)) as { State: string }).State).toBe('Running');
    const narrowed = await bystander.call('Enumerate', 0n, [JSON.stringify({ Owners: ['uvmkit-none'] })]);
    expect(narrowed.hresult).toBe(0);
    // an Owner over the cap is refused at Create
    const over = await attacker.call('Create', 0n, [
      uid('over'),
      JSON.stringify(vmConfig({ Owner: `${owner}x` })),
    ]);
    expect(over.hresult).toBe(HR.E_INVALIDARG);
    expect(resultError(over).ErrorMessage).toMatch(/Owner: is 131073 characters; the limit is 131072/);
    await attacker.close();
    await bystander.close();
  }, 120_000);
});

describe('§2 write backpressure', () => {
  it('a client that pipelines 3000 Enumerates and never reads costs bounded memory', async () => {
    const h = await daemon();
    const setup = await TestClient.connect(h.socketPath);
    // each Enumerate answer is about 400 KB
    for (let i = 0; i < 8; i++) await setup.create(uid('e'), vmConfig({ Owner: 'x'.repeat(50_000) }));
    const before = rssMiB(h.pid);
    const s = await rawConnect(h.socketPath);
    s.pause(); // never read
    const frames = Buffer.concat(
      Array.from({ length: 3000 }, (_, i) => encodeRequest(Method.Enumerate, i + 1, 0n, [])),
    );
    s.write(frames);
    await new Promise((r) => setTimeout(r, 3000));
    const during = rssMiB(h.pid);
    // without backpressure: 3000 × 400 KB = 1.2 GB queued in hcsd
    expect(during - before).toBeLessThan(150);
    // a well-behaved client is still served
    const r = await setup.call('Enumerate', 0n, [JSON.stringify({ Owners: ['nobody'] })]);
    expect(r.hresult).toBe(0);
    s.destroy();
    await setup.close();
  }, 60_000);
});

describe('§3 the modify log is capped in bytes', () => {
  it('48 large Modify requests keep at most modifyLogBytes; over the document cap they are refused', async () => {
    const h = await daemon();
    const c = await TestClient.connect(h.socketPath);
    const id = uid('log');
    const t = await c.running(id);
    const before = rssMiB(h.pid);
    const pad = 'p'.repeat(3 * 1024 * 1024);
    for (let i = 0; i < 48; i++) {
      await c.modify(t, { GuestRequest: { ResourceType: 'Junk', Pad: pad, i } });
    }
    const log = await h.control.modifyLog(id);
    const bytes = JSON.stringify(log).length;
    expect(bytes).toBeLessThanOrEqual(DEFAULT_LIMITS.modifyLogBytes + 1024);
    expect((log.at(-1) as { GuestRequest: { i: number } }).GuestRequest.i).toBe(47);
    expect((await h.control.system(id)).modifyLogDropped).toBeGreaterThanOrEqual(47);
    expect(rssMiB(h.pid) - before).toBeLessThan(200); // was 946 MB for 48 × 8 MB
    const big = await c.call('Modify', t, [
      JSON.stringify({ GuestRequest: { Pad: 'p'.repeat(8 * 1024 * 1024) } }),
    ]);
    expect(big.hresult).toBe(HR.E_INVALIDARG);
    expect(resultError(big).ErrorMessage).toMatch(/documents are limited to 4194304 bytes/);
    await c.close();
  }, 120_000);
});

describe('§4 squattable defaults', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'uvmkit-squat-'));
    chmodSync(dir, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a runtime directory someone else created is refused with a clear error', async () => {
    const xdg = join(dir, 'other');
    mkdirSync(join(xdg, 'uvmkit'), { recursive: true, mode: 0o700 });
    chownSync(join(xdg, 'uvmkit'), 65534, 65534);
    const r = await runCli([], { XDG_RUNTIME_DIR: xdg, UVMKIT_HCSD_SOCKET: '', UVMKIT_HVSOCK_DIR: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `hcsd: ${join(xdg, 'uvmkit')} is owned by uid 65534, not by this user (uid 0); refusing to use it`,
    );
  });

  it('a runtime directory others may enter is refused', async () => {
    const xdg = join(dir, 'open');
    mkdirSync(join(xdg, 'uvmkit'), { recursive: true });
    chmodSync(join(xdg, 'uvmkit'), 0o755);
    const r = await runCli([], { XDG_RUNTIME_DIR: xdg, UVMKIT_HCSD_SOCKET: '', UVMKIT_HVSOCK_DIR: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(xdg, 'uvmkit')} has mode 0755; it must have no group or other access`);
  });

  it('the default is created 0700 with a 0600 socket and a private hvsock directory', async () => {
    const xdg = join(dir, 'fresh');
    mkdirSync(xdg, { mode: 0o700 });
    const r = await runCli([], { XDG_RUNTIME_DIR: xdg, UVMKIT_HCSD_SOCKET: '', UVMKIT_HVSOCK_DIR: '' });
    expect(r.stdout).toContain(`"socket":"${join(xdg, 'uvmkit', 'hcsd.sock')}"`);
    const mode = (p: string): string => execFileSync('stat', ['-c', '%a %u', p], { encoding: 'utf8' }).trim();
    expect(mode(join(xdg, 'uvmkit'))).toBe('700 0');
    expect(mode(join(xdg, 'uvmkit', 'hvsock'))).toBe('700 0');
  });

  it("another user's socket at the path is neither used nor removed", async () => {
    const own = join(dir, 'nobody');
    mkdirSync(own, { mode: 0o755 });
    chownSync(own, 65534, 65534);
    const path = join(own, 'squat.sock');
    const squatter = spawn(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        '-e',
        `require('net').createServer().listen(${JSON.stringify(path)}, () => { require('fs').chmodSync(${JSON.stringify(path)}, 0o777); process.stdout.write('up\\n'); })`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve) => squatter.stdout.once('data', () => resolve()));
      squatter.kill('SIGSTOP'); // a stale-looking socket of uid 65534 (nobody accepts)
      const r = await runCli(['--socket', path], {});
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${path} is a socket of uid 65534`);
    } finally {
      squatter.kill('SIGCONT');
      squatter.kill('SIGKILL');
    }
  }, 30_000);
});

describe('§5 access control', () => {
  let dir: string;
  let h: HcsdProcess;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uvmkit-peer-'));
    chmodSync(dir, 0o755);
    writeFileSync(
      join(dir, 'client.cjs'),
      `const net = require('net');
const [path] = process.argv.slice(2);
const s = net.createConnection(path);
const hello = Buffer.alloc(24); hello.writeUInt32LE(20, 0); hello[4] = 1; hello[5] = 14; hello.writeUInt32LE(5, 8);
s.on('connect', () => s.write(hello));
let buf = Buffer.alloc(0);
s.on('data', (d) => { buf = Buffer.concat([buf, d]); if (buf.length >= 4 && buf.length >= 4 + buf.readUInt32LE(0)) {
  const hr = buf.readUInt32LE(12); const n = buf.readUInt32LE(24); const doc = n === 0xffffffff ? '' : buf.toString('utf8', 28, 28 + n);
  console.log(JSON.stringify({ id: buf.readUInt32LE(8), hr, doc })); s.destroy(); } });
s.on('error', (e) => { console.log(JSON.stringify({ error: e.code })); });`,
      { mode: 0o644 },
    );
    h = await startHcsd({ socketPath: join(dir, 'hcsd.sock') });
    started.push(h);
    // a socket mode the umask or an admin got wrong: only the peer-credential check is left
    chmodSync(h.socketPath, 0o666);
    chmodSync(h.controlSocketPath, 0o666);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const asNobody = (
    path: string,
    extra: string[] = [],
  ): { id?: number; hr?: number; doc?: string; error?: string } =>
    JSON.parse(
      execFileSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', ...extra, process.execPath, join(dir, 'client.cjs'), path],
        {
          encoding: 'utf8',
          timeout: 20_000,
        },
      ).trim(),
    );

  it('the socket is 0600 and the control socket too (before the chmod above)', async () => {
    const x = await startHcsd({ socketPath: join(dir, 'modes.sock') });
    started.push(x);
    const mode = (p: string): string => execFileSync('stat', ['-c', '%a', p], { encoding: 'utf8' }).trim();
    expect([mode(x.socketPath), mode(x.controlSocketPath)]).toEqual(['600', '600']);
  });

  it('a second uid is refused by its peer credentials, with the reason', () => {
    const r = asNobody(h.socketPath, ['--clear-groups']);
    expect(r.id).toBe(0);
    expect(r.hr).toBe(HR.HCS_E_ACCESS_DENIED);
    expect(JSON.parse(r.doc ?? '{}').ErrorMessage).toMatch(
      /^hcsd refused the connection: uid 65534 \(pid \d+\) may not use this hcsd: it serves uid 0, root$/,
    );
  });

  it('the control socket refuses it too', () => {
    const r = asNobody(h.controlSocketPath, ['--clear-groups']);
    expect(r.hr).toBe(HR.HCS_E_ACCESS_DENIED);
  });

  it('a member of --socket-group is served (main socket only)', async () => {
    // the group option through the CLI
    const path = join(dir, 'grp.sock');
    const child = spawn(
      process.execPath,
      [hcsdCliPath(), '--socket', path, '--control-socket', `${path}.control`, '--socket-group', '4242'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      await new Promise<void>((resolve) =>
        child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()),
      );
      expect(execFileSync('stat', ['-c', '%a %g', path], { encoding: 'utf8' }).trim()).toBe('660 4242');
      chmodSync(path, 0o666);
      chmodSync(`${path}.control`, 0o666);
      const member = asNobody(path, ['--groups=4242']);
      expect(member.hr).toBe(0); // the Enumerate answer
      const control = asNobody(`${path}.control`, ['--groups=4242']);
      expect(control.hr).toBe(HR.HCS_E_ACCESS_DENIED);
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);

  it('control methods are refused on the main socket', async () => {
    const c = await TestClient.connect(h.socketPath);
    const r = await c.call(Method.Inspect, 0n, [JSON.stringify({ what: 'systems' })]);
    expect(r.hresult).toBe(HR.E_ACCESSDENIED);
    expect(resultError(r).ErrorMessage).toMatch(
      /Inspect is a control method: it is served only on hcsd's control socket/,
    );
    for (const m of [Method.Fault, Method.Stop])
      expect((await c.call(m, 0n, ['{}'])).hresult).toBe(HR.E_ACCESSDENIED);
    await c.close();
  });
});

describe('§6 connection limits and timeouts', () => {
  it('a slowloris partial frame is dropped after partialFrameTimeoutMs', async () => {
    const h = await daemon({ partialFrameTimeoutMs: 500 });
    const s = await rawConnect(h.socketPath);
    s.write(encodeRequest(Method.Enumerate, 1, 0n, []).subarray(0, 10));
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    s.on('error', () => {});
    await closed; // closed by hcsd (the test would time out otherwise)
  });

  it('16 connections holding partial frames stay within the shared budget; others are served', async () => {
    const h = await daemon();
    const c = await TestClient.connect(h.socketPath);
    const before = rssMiB(h.pid);
    const frameSize = 15 * 1024 * 1024;
    const attackers = await Promise.all(Array.from({ length: 16 }, () => rawConnect(h.socketPath)));
    const head = Buffer.alloc(24);
    head.writeUInt32LE(frameSize - 4, 0);
    head[4] = 1;
    head[5] = Method.Enumerate;
    const body = Buffer.alloc(frameSize - 1024 - 24, 0x41);
    for (const a of attackers) {
      a.on('error', () => {});
      a.write(head);
      a.write(body);
    }
    await new Promise((r) => setTimeout(r, 3000));
    // 16 × 15 MiB = 240 MiB without a budget (1.08 GB with 64 MiB frames)
    expect(rssMiB(h.pid) - before).toBeLessThan(DEFAULT_LIMITS.partialFrameBudget / 2 ** 20 + 80);
    expect((await c.call('Enumerate', 0n, [])).hresult).toBe(0);
    for (const a of attackers) a.destroy();
    await c.close();
  }, 60_000);

  it('a frame longer than maxRequestFrame closes that connection at once', async () => {
    const h = await daemon();
    const s = await rawConnect(h.socketPath);
    const head = Buffer.alloc(12);
    head.writeUInt32LE(MAX_FRAME, 0);
    head[4] = 1;
    s.on('error', () => {});
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    s.write(head);
    await closed;
  });

  it('past maxConnections a connection is refused with a clear reason; the others go on', async () => {
    const h = await daemon({ maxConnections: 4 }); // the control connection is one
    const clients = await Promise.all([1, 2, 3].map(() => TestClient.connect(h.socketPath)));
    const extra = await rawConnect(h.socketPath);
    const refusal = await firstResponse(extra);
    expect(refusal).toEqual({
      id: 0,
      hresult: HR.HCS_E_CONNECT_FAILED,
      message: 'hcsd refused the connection: 4 connections are open (its limit, maxConnections, is 4)',
    });
    // the TypeScript client reports the reason too
    const late = await TestClient.connect(h.socketPath).catch((e: unknown) => e as Error);
    expect((late as Error).message).toBe(
      'connection to hcsd closed: hcsd refused the connection: 4 connections are open (its limit, maxConnections, is 4) (0x80370108)',
    );
    const t = await clients[0]!.running(uid('cap'));
    expect(((await clients[0]!.props(t)) as { State: string }).State).toBe('Running');
    for (const c of clients) await c.close();
  });

  it('inside the file-descriptor headroom new connections are refused, existing clients keep working', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uvmkit-fd-'));
    const path = join(dir, 'hcsd.sock');
    const child = spawn(
      'prlimit',
      [
        '--nofile=256:256',
        process.execPath,
        hcsdCliPath(),
        '--socket',
        path,
        '--control-socket',
        `${path}.control`,
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const held: Awaited<ReturnType<typeof rawConnect>>[] = [];
    try {
      await new Promise<void>((resolve) =>
        child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()),
      );
      const first = await TestClient.connect(path);
      let refusal: Awaited<ReturnType<typeof firstResponse>> = null;
      for (let batch = 0; batch < 13 && refusal === null; batch++) {
        const socks = await Promise.all(Array.from({ length: 20 }, () => rawConnect(path)));
        held.push(...socks);
        const answers = await Promise.all(socks.map((s) => firstResponse(s, 1000)));
        refusal = answers.find((a) => a !== null) ?? null;
      }
      expect(refusal?.hresult).toBe(HR.HCS_E_CONNECT_FAILED);
      expect(refusal?.message).toMatch(
        /file descriptors are in use \(it keeps 64 free for the clients it serves\)/,
      );
      // the client that was there first still works: create, start and modify a VM
      const t = await first.running(uid('fd'));
      expect(((await first.props(t)) as { State: string }).State).toBe('Running');
      await first.close();
    } finally {
      for (const s of held) s.destroy();
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('§7 guest agents back off', () => {
  it('an agent whose host does not listen dials with exponential backoff', async () => {
    const h = await daemon();
    const c = await TestClient.connect(h.socketPath);
    const id = uid('dial');
    await c.running(id, vmConfig({ linux: true }));
    await new Promise((r) => setTimeout(r, 3200));
    const g = await h.control.guest(id);
    // 100 ms polling: 32 attempts; backoff 0, 100, 200, 400, 800, 1600 ms: at most 7
    expect(g.dialAttempts).toBeGreaterThanOrEqual(1);
    expect(g.dialAttempts).toBeLessThanOrEqual(7);
    await c.close();
  }, 30_000);
});

describe('§10 lesser', () => {
  let h: HcsdProcess;
  let c: TestClient;
  beforeAll(async () => {
    h = await daemon();
    c = await TestClient.connect(h.socketPath);
  });
  afterEach(async () => {
    await h.control.clearFaults();
  });

  it('a Modify nested 10 000 levels deep is refused; the modify log stays inspectable', async () => {
    const id = uid('deep');
    const t = await c.running(id);
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const r = await c.call('Modify', t, [`{"GuestRequest":${deep}}`]);
    expect(r.hresult).toBe(HR.HCS_E_INVALID_JSON);
    expect(resultError(r).ErrorMessage).toBe('ModifySettingRequest is nested deeper than 512 levels');
    await c.modify(t, { GuestRequest: { ok: 1 } });
    expect(await h.control.modifyLog(id)).toEqual([{ GuestRequest: { ok: 1 } }]);
  });

  it('the fault API refuses success codes (S_OK, S_FALSE)', async () => {
    for (const hresult of [0, 1, 0x7fffffff]) {
      const err = await h.control.fault({ method: 'Create', hresult }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HcsdControlError);
      expect((err as HcsdControlError).hresult).toBe(HR.E_INVALIDARG);
    }
    const id = uid('sfalse');
    await c.create(id); // nothing armed: create really creates
    expect((await h.control.system(id)).state).toBe('Created');
  });
});

describe('§11 SCSI controllers by any key', () => {
  it('a "0"-keyed controller takes Add and Remove; unsafe keys are refused', async () => {
    const h = await daemon();
    const c = await TestClient.connect(h.socketPath);
    const id = uid('scsi0');
    const t = await c.running(id, vmConfig({ devices: { Scsi: { '0': { Attachments: {} } } } }));
    const att = { Type: 'VirtualDisk', Path: '/var/lib/uvmkit/scratch.vhdx' };
    const add = await c.modify(t, {
      ResourcePath: 'VirtualMachine/Devices/Scsi/0/Attachments/1',
      RequestType: 'Add',
      Settings: att,
    });
    expect(add.hresult).toBe(0);
    expect((await h.control.system(id)).devices.scsi).toEqual({ '0': { '1': att } });
    const rm = await c.modify(t, {
      ResourcePath: 'VirtualMachine/Devices/Scsi/0/Attachments/1',
      RequestType: 'Remove',
    });
    expect(rm.hresult).toBe(0);
    expect((await h.control.system(id)).devices.scsi).toEqual({ '0': {} });
    const missing = await c.modify(t, {
      ResourcePath: 'VirtualMachine/Devices/Scsi/1/Attachments/0',
      RequestType: 'Add',
      Settings: att,
    });
    expect(missing.hresult).toBe(HR.ERROR_DEV_NOT_EXIST);
    for (const key of ['__proto__', '..', '{0}']) {
      const r = await c.modify(t, {
        ResourcePath: `VirtualMachine/Devices/Scsi/${key}/Attachments/0`,
        RequestType: 'Add',
        Settings: att,
      });
      expect(r.hresult).toBe(HR.ERROR_INVALID_DATA);
    }
    await c.close();
  });
});
