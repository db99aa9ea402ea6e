/**
 * The emulated agent's processes and containers at the wire (gcs-protocol.md §4.5, §4.6, §7,
 * §10): stdio relays dialed BEFORE the ExecuteProcess reply, WaitForProcess held until the exit,
 * the Linux GCS's answers for signals to the null container, and the exit notification only
 * after the init process exited and its wait was answered.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bridge, type Frame, GuestHarness, NULL_ID, sockPath } from './helpers/guest-host.js';

let h: GuestHarness;
beforeAll(async () => {
  h = await GuestHarness.start();
});
afterAll(async () => {
  await h?.stop();
});

const EXEC = 0x10100501;
const WAIT = 0x10100601;
const SIGNAL = 0x10100701;
const RESIZE = 0x10100801;
const CREATE = 0x10100101;
const port = (n: number) => `${n.toString(16).padStart(8, '0')}-facb-11e6-bd58-64006a7986d3`;

/** A raw relay listener: resolves with the one connection (never parsed as frames). */
async function relay(runtimeId: string, n: number): Promise<{ conn: Promise<Socket>; server: Server }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(sockPath(h.dir.dir, runtimeId, port(n)), r));
  const conn = new Promise<Socket>((r) => server.once('connection', r));
  return { conn, server };
}

function exec(b: Bridge, containerId: string, params: unknown, ports: [number, number, number]): bigint {
  return b.send(EXEC, {
    ContainerId: containerId,
    ActivityId: NULL_ID,
    Settings: {
      ProcessParameters: JSON.stringify(params),
      VsockStdioRelaySettings: { StdIn: ports[0], StdOut: ports[1], StdErr: ports[2] },
    },
  });
}

function read(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      out += d;
    });
    s.on('end', () => resolve(out));
  });
}

describe('processes at the wire', () => {
  it('dials stdin, stdout, stderr before it answers; WaitForProcess answers at the exit; §10 signal/resize on the null container', async () => {
    const { b, runtimeId, id } = await h.connected();
    const ls = await Promise.all([0x40000001, 0x40000002, 0x40000003].map((n) => relay(runtimeId, n)));
    const script = 'echo out; cat /etc/hostname; sleep 0.2; exit 7';
    const id1 = exec(b, NULL_ID, { CommandArgs: ['sh', '-c', script] }, [0x40000001, 0x40000002, 0x40000003]);
    const [sin, sout, serr] = await Promise.all(ls.map((l) => l.conn));
    const out = read(sout as Socket);
    const err = read(serr as Socket);
    const reply = await b.next((f) => f.id === id1);
    const pid = reply.json?.ProcessId as number;
    expect(reply.json).toEqual({ Result: 0, ActivityId: NULL_ID, ProcessId: pid });
    // the guest logged the ExecuteProcess; every relay had been connected when it answered
    const wid = b.send(WAIT, {
      ContainerId: NULL_ID,
      ActivityId: NULL_ID,
      ProcessId: pid,
      TimeoutInMs: 0xffffffff,
    });
    const base = { ContainerId: NULL_ID, ActivityId: NULL_ID, ProcessId: pid };
    const sig = await b.call(SIGNAL, { ...base, Options: { Signal: 15 } });
    expect(sig.json?.Result).toBe(0xc037010e | 0);
    const rs = await b.call(RESIZE, { ...base, Height: 1, Width: 1 });
    expect(rs.json?.Result).toBe(0xc037010e | 0);
    expect(b.frames.some((f) => f.id === wid)).toBe(false); // held until the exit
    const w = await b.next((f) => f.id === wid);
    expect(w.json).toEqual({ Result: 0, ActivityId: NULL_ID, ExitCode: 7 });
    expect(await out).toBe(`out\n${id}\n`);
    expect(await err).toBe('');
    const again = await b.call(WAIT, base);
    expect(again.json?.ExitCode).toBe(7);
    const none = await b.call(WAIT, { ...base, ProcessId: 4242 });
    expect(none.json?.Result).toBe(0x80070490 | 0);
    sin?.destroy();
    for (const l of ls) l.server.close();
    b.close();
  });

  it('a relay nobody listens on: ExecuteProcess fails with E_FAIL and nothing runs', async () => {
    const { b, id } = await h.connected();
    const x = exec(b, NULL_ID, { CommandArgs: ['true'] }, [0x40000100, 0, 0]);
    const r = await b.next((f: Frame) => f.id === x);
    expect(r.json?.Result).toBe(0x80004005 | 0);
    expect(String(r.json?.ErrorMessage)).toContain('failed to connect the stdio relays');
    expect((await h.hcsd.control.guest(id)).processes).toEqual([]);
    b.close();
  });

  it('container: the exit notification comes after the init exited AND its wait was answered (UnexpectedExit)', async () => {
    const { b, id } = await h.connected();
    const cfg = JSON.stringify({
      SchemaVersion: { Major: 2, Minor: 1 },
      OciSpecification: { process: { args: ['sleep', '0.1'] }, linux: {} },
    });
    const created = await b.call(CREATE, { ContainerId: 'k1', ActivityId: NULL_ID, ContainerConfig: cfg });
    expect(created.json?.Result).toBe(0);
    const x = exec(b, 'k1', {}, [0, 0, 0]);
    const e = await b.next((f: Frame) => f.id === x);
    const pid = e.json?.ProcessId as number;
    await new Promise((r) => setTimeout(r, 400));
    // exited, but no wait answered yet: no notification (§4.6)
    expect(b.frames.filter((f) => f.type === 0x30100101)).toEqual([]);
    expect((await h.hcsd.control.guest(id)).table.containers[0]).toMatchObject({
      state: 'Exited',
      exitType: 'UnexpectedExit',
    });
    const w = await b.call(WAIT, {
      ContainerId: 'k1',
      ActivityId: NULL_ID,
      ProcessId: pid,
      TimeoutInMs: 0xffffffff,
    });
    expect(w.json?.ExitCode).toBe(0);
    const n = await b.next((f) => f.type === 0x30100101);
    expect(n.id).toBe(0n);
    expect(n.json).toEqual({
      ContainerId: 'k1',
      ActivityId: NULL_ID,
      Type: 'UnexpectedExit',
      Operation: 'None',
      Result: 0,
    });
    expect(b.frames.indexOf(n)).toBeGreaterThan(b.frames.indexOf(w));
    b.close();
  });

  it('the gcsPanics fault: a Create without linux gets no reply, the bridge drops and the agent stops', async () => {
    const { b, id } = await h.connected();
    await h.hcsd.control.guestFault(id, { kind: 'gcsPanics' });
    const cfg = JSON.stringify({
      SchemaVersion: { Major: 2, Minor: 1 },
      OciSpecification: { process: { args: ['true'] } },
    });
    const sent = b.send(CREATE, { ContainerId: 'p1', ActivityId: NULL_ID, ContainerConfig: cfg });
    await b.closed;
    expect(b.frames.some((f) => f.id === sent)).toBe(false);
    const g = await h.hcsd.control.guest(id);
    expect(g).toMatchObject({ panicked: true, active: false, connected: false });
    expect(g.faults.gcsPanics).toBe(true);
  });
});
