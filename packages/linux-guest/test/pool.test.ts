/**
 * The agent's worker pool (bridge.c) against a host played by the test: sequential requests reuse
 * one worker; 520 WaitForProcess on a running process and 64 ExecuteProcess whose stdout dial the
 * relay holds, sent in one write, are all answered, and while they block the reader still answers
 * at once; one over a bound (512 waits, 64 other requests in flight) is answered E_FAIL at once;
 * the threads never exceed one per request in flight, and the idle ones beyond the two kept exit.
 * The host-built agent (ASan/UBSan) on the host; the processes are real (/bin/sleep, /bin/echo).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { encodeFrame } from '@uvmkit/guestmanager';
import { hvsocketPath } from '@uvmkit/hcs-core/hvsocket';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, buildHost, FrameReader, startAgent, until } from './helpers/agent.js';
import { type FakeRelay, startFakeRelay } from './helpers/fake-relay.js';

const GCS = '40000000-facb-11e6-bd58-64006a7986d3';
const ZERO = '00000000-0000-0000-0000-000000000000';
const NEGOTIATE = 0x10100b01;
const EXECUTE = 0x10100501;
const WAIT = 0x10100601;
const SIGNAL = 0x10100701;
const DELETE_STATE = 0x10100d01;
const MAX_WAITS = 512;
const MAX_REQUESTS = 64;
const STDOUT_PORT = 0x5000;
const STDOUT_GUID = '00005000-facb-11e6-bd58-64006a7986d3';
const dir = mkdtempSync('/tmp/lgpool-');
const vmId = randomUUID();
const gcsPath = hvsocketPath({ vmId, serviceId: GCS }, dir);

let relay: FakeRelay;
let agent: Agent;
let server: Server | undefined;
let conn: { socket: Socket; reader: FrameReader } | undefined;
let sleeper: number | undefined;
let stdio: Server | undefined;
/** The stdout dials the relay holds until release(); what the processes wrote. */
const held: string[] = [];
const outputs: string[] = [];
let release: () => void = () => {};
const released = new Promise<void>((r) => {
  release = r;
});

function frame(type: number, id: bigint, body: object): Buffer {
  return encodeFrame(type, id, `${JSON.stringify({ ContainerId: ZERO, ActivityId: ZERO, ...body })}\n`);
}

/** The agent's threads (their ids). */
function tasks(): string[] {
  return readdirSync(`/proc/${agent.pid}/task`).sort();
}

/** The agent's pool threads (named gcs-worker; a thread that exits between the listing and the read is skipped). */
function workers(): number {
  let n = 0;
  for (const t of tasks()) {
    try {
      if (readFileSync(`/proc/${agent.pid}/task/${t}/comm`, 'utf8') === 'gcs-worker\n') n++;
    } catch {}
  }
  return n;
}

beforeAll(async () => {
  buildHost();
  relay = await startFakeRelay({
    path: join(dir, 'relay.sock'),
    hvsockDir: dir,
    vmId,
    hold: (guid) => {
      if (guid !== STDOUT_GUID) return undefined;
      held.push(guid);
      return released;
    },
  });
  const out = createServer((socket) => {
    socket.on('data', (b: Buffer) => outputs.push(b.toString('utf8')));
    socket.on('error', () => {});
  });
  stdio = out;
  await new Promise<void>((r) => out.listen(hvsocketPath({ vmId, serviceId: STDOUT_GUID }, dir), () => r()));
  const s = createServer((socket) => {
    const reader = new FrameReader();
    socket.on('data', (b: Buffer) => reader.push(b));
    socket.on('close', () => reader.end());
    socket.on('error', () => {});
    conn ??= { socket, reader };
  });
  server = s;
  await new Promise<void>((r) => s.listen(gcsPath, () => r()));
  agent = startAgent(['--relay', relay.path, '--no-entropy', '--no-log-stream', '--loglevel', 'info']);
  await until(() => conn !== undefined, 20_000, 'the agent to dial');
  const c = conn as { socket: Socket; reader: FrameReader };
  c.socket.write(
    encodeFrame(
      NEGOTIATE,
      0n,
      `${JSON.stringify({ ContainerId: '', ActivityId: ZERO, MinimumVersion: 4, MaximumVersion: 4 })}\n`,
    ),
  );
  expect((await c.reader.reply(0n)).body.Version).toBe(4);
}, 120_000);

afterAll(async () => {
  if (sleeper !== undefined) {
    try {
      process.kill(sleeper, 'SIGKILL');
    } catch {}
  }
  await agent?.stop();
  conn?.socket.destroy();
  release();
  await relay?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await new Promise<void>((r) => (stdio ? stdio.close(() => r()) : r()));
  rmSync(dir, { recursive: true, force: true });
});

describe('uvmkit-gcs worker pool', () => {
  it('sequential requests are answered by one worker that stays (no thread per request)', async () => {
    const c = conn as { socket: Socket; reader: FrameReader };
    expect(workers()).toBe(0);
    const before = tasks();
    c.socket.write(frame(DELETE_STATE, 1n, { ContainerId: 'no-such' }));
    expect((await c.reader.reply(1n)).body.ErrorMessage).toBe('container no-such does not exist');
    const first = tasks();
    expect(first.length).toBe(before.length + 1);
    expect(workers()).toBe(1);
    for (let i = 2n; i < 32n; i++) {
      c.socket.write(frame(DELETE_STATE, i, { ContainerId: 'no-such' }));
      expect(((await c.reader.reply(i)).body.Result as number) >>> 0).toBe(0xc037010e);
      expect(tasks()).toEqual(first);
    }
  });

  it('584 requests at once, blocked ones among them, are all answered; one over a bound is E_FAIL at once; the threads stay bounded and the idle ones exit', async () => {
    const c = conn as { socket: Socket; reader: FrameReader };
    c.socket.write(
      frame(EXECUTE, 100n, {
        Settings: { ProcessParameters: JSON.stringify({ CommandArgs: ['/bin/sleep', '120'] }) },
      }),
    );
    const exec = await c.reader.reply(100n);
    expect(exec.body.Result).toBe(0);
    const pid = exec.body.ProcessId as number;
    sleeper = pid;
    expect(workers()).toBe(1); // the one kept from before

    const waits = Array.from({ length: MAX_WAITS + 8 }, (_, i) => 1000n + BigInt(i));
    const execs = Array.from({ length: MAX_REQUESTS }, (_, i) => 2000n + BigInt(i));
    const over = [3000n, 3001n, 3002n, 3003n];
    const stdout = JSON.stringify({ CommandArgs: ['/bin/echo', 'out'], CreateStdOutPipe: true });
    c.socket.write(
      Buffer.concat([
        ...waits.map((id) => frame(WAIT, id, { ProcessId: pid, TimeoutInMs: 0xffffffff })),
        // each ExecuteProcess blocks on its stdout dial, which the relay holds
        ...execs.map((id) =>
          frame(EXECUTE, id, {
            Settings: { ProcessParameters: stdout, VsockStdioRelaySettings: { StdOut: STDOUT_PORT } },
          }),
        ),
        ...over.map((id) => frame(DELETE_STATE, id, { ContainerId: 'no-such' })),
      ]),
    );
    let peak = 0;
    const sample = setInterval(() => {
      peak = Math.max(peak, workers());
    }, 20);
    try {
      // over the bounds: the last 8 waits and the 4 requests after the 64 blocked ExecuteProcess
      for (const id of [...waits.slice(MAX_WAITS), ...over]) {
        const r = await c.reader.reply(id, 60_000);
        expect((r.body.Result as number) >>> 0).toBe(0x80004005);
        expect(r.body.ErrorMessage).toBe(
          id >= 3000n
            ? `too many requests in flight (${MAX_REQUESTS})`
            : `too many pending WaitForProcess requests (${MAX_WAITS})`,
        );
      }
      // while all of them block, the reader thread still answers at once
      c.socket.write(
        encodeFrame(NEGOTIATE, 4000n, `${JSON.stringify({ ContainerId: '', ActivityId: ZERO })}\n`),
      );
      expect((await c.reader.reply(4000n)).body.ErrorMessage).toMatch(/not supported after negotiation/);
      await until(() => held.length === MAX_REQUESTS, 60_000, 'every stdout dial');
      await until(() => workers() === MAX_WAITS + MAX_REQUESTS, 60_000, 'a thread per blocked request');
      // none of the blocked ones was answered yet
      const blocked = new Set([...waits.slice(0, MAX_WAITS), ...execs]);
      expect(c.reader.frames.filter((f) => blocked.has(f.id))).toEqual([]);

      // the host takes the streams: every ExecuteProcess is answered with its process
      release();
      const pids = new Set<number>();
      for (const id of execs) {
        const r = await c.reader.reply(id, 120_000);
        expect(r.body.Result).toBe(0);
        pids.add(r.body.ProcessId as number);
      }
      expect(pids.size).toBe(MAX_REQUESTS);
      await until(() => outputs.join('') === 'out\n'.repeat(MAX_REQUESTS), 60_000, 'every process output');
      // room again: the next request is taken, and the signal releases every wait
      c.socket.write(frame(SIGNAL, 4001n, { ProcessId: pid, Options: { Signal: 9 } }));
      expect((await c.reader.reply(4001n, 60_000)).body).toEqual({ Result: 0, ActivityId: ZERO });
      for (const id of waits.slice(0, MAX_WAITS)) {
        expect((await c.reader.reply(id, 120_000)).body).toEqual({
          Result: 0,
          ActivityId: ZERO,
          ExitCode: 137,
        });
      }
      sleeper = undefined;
    } finally {
      clearInterval(sample);
      release();
    }
    // one thread per request in flight at most (the one kept from before took one of them)
    expect(peak).toBe(MAX_WAITS + MAX_REQUESTS);
    expect(c.reader.frames.filter((f) => f.id >= 1000n).length).toBe(waits.length + execs.length + 6);
    // idle workers exit after 5 s, but for the two kept
    await until(() => workers() === 2, 60_000, 'the idle workers to exit');
  }, 300_000);

  it('the agent reported no AddressSanitizer or UndefinedBehaviorSanitizer error and is still running', () => {
    expect(agent.stderr()).not.toMatch(/AddressSanitizer|LeakSanitizer|runtime error:/);
    expect(() => process.kill(agent.pid, 0)).not.toThrow();
  });
});
