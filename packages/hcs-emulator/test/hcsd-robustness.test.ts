import { existsSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HcsdClient } from '../src/client.js';
import { encodeRequest } from '../src/hcsd/codec.js';
import { HR } from '../src/hcsd/errors.js';
import { Method } from '../src/hcsd/methods.js';
import { freshSocketPath, type HcsdProcess, startHcsd } from '../src/start.js';
import { i32, resultError, TestClient, until, vmConfig } from './helpers/hcsd.js';

let hcsd: HcsdProcess;
let c: TestClient;
let n = 0;

beforeAll(async () => {
  hcsd = await startHcsd();
  c = await TestClient.connect(hcsd.socketPath);
});
afterAll(async () => {
  await c?.close();
  await hcsd?.stop();
});

/** Send raw bytes on a fresh connection; resolve when hcsd closes it (or reject after 2 s). */
async function rawClosed(bytes: Buffer): Promise<void> {
  const s = createConnection(hcsd.socketPath);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('connection not closed')), 2000);
    s.on('connect', () => s.write(bytes));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function header(length: number, kind: number, method = 1, id = 1): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(length, 0);
  b[4] = kind;
  b[5] = method;
  b.writeUInt32LE(id, 8);
  return b;
}

describe('malformed frames close only that connection', () => {
  it('length > 64 MiB, length < 8, unknown kind, response/event frames, truncated and trailing bodies', async () => {
    const id = `rob-${++n}`;
    const t = await c.create(id);
    await rawClosed(header(64 * 1024 * 1024 + 1, 1));
    await rawClosed(Buffer.from([4, 0, 0, 0, 1, 0, 0, 0]));
    await rawClosed(header(8, 9));
    await rawClosed(header(8, 2));
    await rawClosed(header(8, 3));
    // request body shorter than token + argc
    await rawClosed(Buffer.concat([header(8 + 4, 1), Buffer.alloc(4)]));
    // argc says 1 string of 100 bytes, body ends early
    const trunc = Buffer.alloc(8 + 4 + 4 + 2);
    trunc.writeUInt32LE(1, 8);
    trunc.writeUInt32LE(100, 12);
    await rawClosed(Buffer.concat([header(8 + trunc.length, 1), trunc]));
    // a valid request with trailing garbage
    const ok = encodeRequest(Method.Open, 7, 0n, [id]);
    const extra = Buffer.concat([ok, Buffer.from([0xde, 0xad])]);
    extra.writeUInt32LE(ok.length - 4 + 2, 0);
    await rawClosed(extra);
    // the daemon and other clients are fine
    expect((await c.call('Start', t)).hresult).toBe(0);
    expect((await hcsd.control.system(id)).state).toBe('Running');
  });

  it('a frame split across many writes is reassembled; several frames in one write are all answered', async () => {
    const raw = await HcsdClient.connect(hcsd.socketPath);
    const frames = [1, 2, 3].map((i) => encodeRequest(Method.Hello, 100 + i, 0n, [`c${i}`, '1', '1']));
    const whole = Buffer.concat(frames);
    const answers: number[] = [];
    const s = createConnection(hcsd.socketPath);
    await new Promise<void>((r) => s.on('connect', () => r()));
    s.on('data', (d: Buffer) => {
      for (let off = 0; off < d.length; ) {
        const len = d.readUInt32LE(off);
        answers.push(d.readUInt32LE(off + 8));
        off += 4 + len;
      }
    });
    for (let i = 0; i < whole.length; i += 5) {
      s.write(whole.subarray(i, i + 5));
      await new Promise((r) => setImmediate(r));
    }
    await until(() => answers.length === 3);
    expect(answers).toEqual([101, 102, 103]);
    s.destroy();
    await raw.close();
  });
});

describe('bad arguments and tokens', () => {
  it("unknown method → E_NOTIMPL; bad tokens → E_HANDLE; another client's token → E_HANDLE", async () => {
    const r = await c.call(42, 0n, []);
    expect(r.hresult).toBe(HR.E_NOTIMPL);
    expect(resultError(r)).toEqual({
      Error: i32(HR.E_NOTIMPL),
      ErrorMessage: 'method 42 is not implemented',
    });
    const t = await c.create(`rob-${++n}`);
    const other = await TestClient.connect(hcsd.socketPath, 'other');
    for (const m of ['Start', 'GetProperties', 'Modify', 'Close', 'Terminate'] as const) {
      const x = await other.call(m, t, ['{}']);
      expect(x.hresult, m).toBe(HR.E_HANDLE);
    }
    expect((await c.call('Start', 0n)).hresult).toBe(HR.E_HANDLE);
    expect((await c.call('Start', 0xffffffffffffffffn)).hresult).toBe(HR.E_HANDLE);
    await other.close();
  });

  it('protocol version mismatch → HCS_E_UNSUPPORTED_PROTOCOL_VERSION', async () => {
    const r = await c.call('Hello', 0n, ['x', '1', '2']);
    expect(r.hresult).toBe(HR.HCS_E_UNSUPPORTED_PROTOCOL_VERSION);
  });

  it('malformed JSON in every document argument → HCS_E_INVALID_JSON; wrong types → E_INVALIDARG', async () => {
    const t = await c.running(`rob-${++n}`);
    for (const [m, args] of [
      ['Create', ['x-json', '{']],
      ['Modify', ['{']],
      ['GetProperties', ['{']],
      ['Enumerate', ['{']],
      ['Pause', ['{']],
    ] as const) {
      const r = await c.call(m, m === 'Create' || m === 'Enumerate' ? 0n : t, [...args]);
      expect(r.hresult, m).toBe(HR.HCS_E_INVALID_JSON);
    }
    expect((await c.call('Modify', t, ['42'])).hresult).toBe(HR.E_INVALIDARG);
    expect((await c.call('Modify', t, [])).hresult).toBe(HR.E_INVALIDARG);
    expect((await c.call('GetProperties', t, ['{"PropertyTypes":"Memory"}'])).hresult).toBe(HR.E_INVALIDARG);
    expect((await c.call('Cancel', 0n, ['abc'])).hresult).toBe(HR.E_INVALIDARG);
  });
});

describe('fault injection and cancel', () => {
  it('fail the next N calls of a method with a chosen HRESULT, without touching state', async () => {
    const id = `rob-${++n}`;
    const t = await c.create(id);
    await hcsd.control.fault({ method: 'Start', count: 2, hresult: 0x80070005, message: 'denied' });
    for (let i = 0; i < 2; i++) {
      const r = await c.call('Start', t);
      expect(r.hresult).toBe(0x80070005);
      expect(resultError(r)).toEqual({ Error: i32(0x80070005), ErrorMessage: 'denied' });
      expect((await hcsd.control.system(id)).state).toBe('Created');
    }
    expect((await c.call('Start', t)).hresult).toBe(0);
    await hcsd.control.fault({ method: Method.Create, hresult: HR.HCS_E_INVALID_STATE });
    expect((await c.call('Create', 0n, [`rob-${++n}`, JSON.stringify(vmConfig())])).hresult).toBe(
      HR.HCS_E_INVALID_STATE,
    );
    await expect(hcsd.control.system(`rob-${n}`)).rejects.toMatchObject({
      hresult: HR.HCS_E_SYSTEM_NOT_FOUND,
    });
    await expect(hcsd.control.fault({ method: 'Cancel', hresult: 1 })).rejects.toMatchObject({
      hresult: HR.E_INVALIDARG,
    });
    await expect(hcsd.control.fault({ method: 'Start', hresult: 0 })).rejects.toMatchObject({
      hresult: HR.E_INVALIDARG,
    });
  });

  it('faults can target one system by id (token or Create/Open argument)', async () => {
    const a = `rob-${++n}`;
    const b = `rob-${++n}`;
    const ta = await c.create(a);
    const tb = await c.create(b);
    await hcsd.control.fault({ method: 'Start', hresult: HR.E_FAIL, id: b });
    expect((await c.call('Start', ta)).hresult).toBe(0);
    expect((await c.call('Start', tb)).hresult).toBe(HR.E_FAIL);
    expect((await c.call('Start', tb)).hresult).toBe(0);
    await hcsd.control.fault({ method: 'Open', hresult: HR.E_FAIL, id: a });
    expect((await c.call('Open', 0n, [b])).hresult).toBe(0);
    expect((await c.call('Open', 0n, [a])).hresult).toBe(HR.E_FAIL);
    await expect(
      hcsd.control.fault({ method: 'Open', hresult: HR.E_FAIL, id: 5 as unknown as string }),
    ).rejects.toMatchObject({
      hresult: HR.E_INVALIDARG,
    });
  });

  it('delay completions; pending() lists them; Cancel ends one with ERROR_CANCELLED and no effect', async () => {
    const id = `rob-${++n}`;
    const t = await c.create(id);
    await hcsd.control.delay({ method: 'Start', ms: 10_000, count: 1 });
    const reqId = c.raw.nextRequestId;
    const start = c.call('Start', t);
    await until(async () => (await hcsd.control.pending()).length === 1);
    const [p] = await hcsd.control.pending();
    expect(p).toMatchObject({ requestId: reqId, method: 'Start', token: t.toString() });
    expect((await c.call('Cancel', 0n, [String(reqId)])).hresult).toBe(0);
    const r = await start;
    expect(r.hresult).toBe(HR.ERROR_CANCELLED);
    expect(resultError(r)).toEqual({
      Error: i32(HR.ERROR_CANCELLED),
      ErrorMessage: `request ${reqId} was cancelled`,
    });
    expect((await hcsd.control.system(id)).state).toBe('Created');
    expect(await hcsd.control.pending()).toEqual([]);
    // cancelling again (completed) → ERROR_NOT_FOUND
    expect((await c.call('Cancel', 0n, [String(reqId)])).hresult).toBe(HR.ERROR_NOT_FOUND);
  });

  it('a delayed request that is not cancelled completes after the delay', async () => {
    const id = `rob-${++n}`;
    const t = await c.create(id);
    await hcsd.control.delay({ method: 'Start', ms: 50, count: 1 });
    const started = Date.now();
    expect((await c.call('Start', t)).hresult).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect((await hcsd.control.system(id)).state).toBe('Running');
    // only another client's request ids are not visible to Cancel
    await hcsd.control.delay({ method: 'Pause', ms: 100 });
    const other = await TestClient.connect(hcsd.socketPath, 'canceller');
    const reqId = c.raw.nextRequestId;
    const pause = c.call('Pause', t);
    expect((await other.call('Cancel', 0n, [String(reqId)])).hresult).toBe(HR.ERROR_NOT_FOUND);
    expect((await pause).hresult).toBe(0);
    await hcsd.control.clearFaults();
    await other.close();
  });

  it('a client that disconnects mid-operation: pending answers dropped, its tokens closed, state consistent', async () => {
    const id = `rob-${++n}`;
    const d = await TestClient.connect(hcsd.socketPath, 'mid-op');
    const t = await d.create(id, vmConfig({ terminate: false }));
    await hcsd.control.delay({ method: 'Start', ms: 100, count: 1 });
    void d.call('Start', t).catch(() => {});
    await until(async () => (await hcsd.control.pending()).length === 1);
    d.raw.destroy();
    await until(async () => (await hcsd.control.clients()).every((x) => x.name !== 'mid-op'));
    expect(await hcsd.control.pending()).toEqual([]);
    await new Promise((r) => setTimeout(r, 150));
    const sys = await hcsd.control.system(id);
    expect(sys.state).toBe('Created');
    expect(sys.handleCount).toBe(0);
  });

  it('clients() shows open handles per client', async () => {
    const id = `rob-${++n}`;
    const e = await TestClient.connect(hcsd.socketPath, 'lister');
    const t1 = await e.create(id);
    const t2 = (await e.call('Open', 0n, [id])).value;
    const mine = (await hcsd.control.clients()).find((x) => x.name === 'lister');
    expect(mine).toMatchObject({ name: 'lister', pid: process.pid, pending: 0 });
    expect(mine?.handles).toEqual([
      { token: t1.toString(), systemId: id },
      { token: t2.toString(), systemId: id },
    ]);
    await e.close();
  });
});

describe('many operations in flight', () => {
  it('answers 1,000 concurrent GetProperties and Modify requests', async () => {
    const id = `rob-${++n}`;
    const t = await c.running(id);
    const reqs: Promise<{ hresult: number }>[] = [];
    for (let i = 0; i < 500; i++) {
      reqs.push(c.call('GetProperties', t));
      reqs.push(
        c.modify(t, { ResourcePath: 'VirtualMachine/ComputeTopology/Memory/SizeInMB', Settings: 1024 + i }),
      );
    }
    const all = await Promise.all(reqs);
    expect(all.every((r) => r.hresult === 0)).toBe(true);
    expect((await hcsd.control.system(id)).devices.memorySizeInMB).toBe(1523);
    expect(await hcsd.control.modifyLog(id)).toHaveLength(500);
  });
});

describe('daemon lifecycle', () => {
  it('stopAbruptly: clients see the connection drop; the stale socket is replaced by the next hcsd', async () => {
    const d = await startHcsd();
    const client = await TestClient.connect(d.socketPath);
    await client.create('abrupt');
    await d.control.stopAbruptly();
    await client.raw.closed;
    expect(await d.exited).toBe(137);
    expect(existsSync(d.socketPath)).toBe(true);
    const d2 = await startHcsd({ socketPath: d.socketPath });
    const c2 = await TestClient.connect(d2.socketPath);
    expect((await c2.call('Open', 0n, ['abrupt'])).hresult).toBe(HR.HCS_E_SYSTEM_NOT_FOUND);
    await c2.close();
    await d2.stop();
    expect(existsSync(d.socketPath)).toBe(false);
  });

  it('kill() is SIGKILL; stop() is graceful (exit 0, socket removed)', async () => {
    const d = await startHcsd();
    const client = await TestClient.connect(d.socketPath);
    await d.kill();
    await client.raw.closed;
    expect(await d.exited).toBe('SIGKILL');
    const g = await startHcsd();
    await g.stop();
    expect(await g.exited).toBe(0);
    expect(existsSync(g.socketPath)).toBe(false);
  });

  it('refuses a live socket and a non-socket file', async () => {
    const path = freshSocketPath();
    const server = createServer(() => {});
    await new Promise<void>((r) => server.listen(path, () => r()));
    await expect(startHcsd({ socketPath: path })).rejects.toMatchObject({
      code: 'HcsdSpawn',
      message: expect.stringContaining('another hcsd is listening'),
    });
    await new Promise<void>((r) => server.close(() => r()));
    const file = freshSocketPath();
    writeFileSync(file, 'not a socket');
    await expect(startHcsd({ socketPath: file })).rejects.toMatchObject({
      message: expect.stringContaining('is not a socket'),
    });
  });

  it('graceful Stop control method answers, then the daemon exits 0', async () => {
    const d = await startHcsd();
    await d.control.stopGracefully();
    expect(await d.exited).toBe(0);
    expect(existsSync(d.socketPath)).toBe(false);
  });
});
