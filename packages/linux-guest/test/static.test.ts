import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { encodeFrame } from '@uvmkit/guestmanager';
import { hvsocketPath } from '@uvmkit/hcs-core/hvsocket';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Agent, FrameReader, GUEST_AGENT, make, startAgent, until } from './helpers/agent.js';
import { type FakeRelay, startFakeRelay } from './helpers/fake-relay.js';

const ZERO = '00000000-0000-0000-0000-000000000000';
const dir = mkdtempSync('/tmp/lgs-');
const vmId = randomUUID();
const servers: Server[] = [];
let relay: FakeRelay;
let agent: Agent;

function serve(port: number, onConn: (s: Socket) => void): Promise<void> {
  const guid = `${port.toString(16).padStart(8, '0')}-facb-11e6-bd58-64006a7986d3`;
  const s = createServer(onConn);
  servers.push(s);
  return new Promise((r) => s.listen(hvsocketPath({ vmId, serviceId: guid }, dir), () => r()));
}

beforeAll(async () => {
  make('build/guest/uvmkit-gcs');
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  for (const s of servers) s.close();
  await relay?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('the static guest build waits for the relay, negotiates and runs /bin/sh -c "echo hi; exit 3" (stdout hi, exit 3)', async () => {
  const reader = new FrameReader();
  let bridge: Socket | undefined;
  await serve(0x40000000, (s) => {
    bridge = s;
    s.on('data', (b: Buffer) => reader.push(b));
  });
  let stdout = '';
  let stdoutEnded = false;
  await serve(0x40000001, (s) => {
    s.on('data', (b: Buffer) => {
      stdout += b.toString('utf8');
    });
    s.on('end', () => {
      stdoutEnded = true;
    });
  });
  // The agent starts before the relay (as it may at boot) and connects once the relay is up.
  const relayPath = join(dir, 'relay.sock');
  agent = startAgent(
    [
      '--relay',
      relayPath,
      '--no-entropy',
      '--no-log-stream',
      '--strict-null-container',
      '--device-timeout',
      '300',
    ],
    [],
    GUEST_AGENT,
  );
  await until(
    () => agent.logs().some((l) => l.msg.includes('No such file or directory')),
    20_000,
    'a failed dial',
  );
  relay = await startFakeRelay({ path: relayPath, hvsockDir: dir, vmId });
  await until(() => bridge !== undefined, 20_000, 'the bridge');
  const b = bridge as Socket;
  b.write(
    encodeFrame(
      0x10100b01,
      0n,
      `${JSON.stringify({ ContainerId: '', ActivityId: ZERO, MinimumVersion: 4, MaximumVersion: 4 })}\n`,
    ),
  );
  const n = await reader.reply(0n);
  expect(n.size).toBe(342);
  expect(n.body.Version).toBe(4);
  const params = JSON.stringify({
    CommandArgs: ['/bin/sh', '-c', 'echo hi; exit 3'],
    CreateStdOutPipe: true,
  });
  b.write(
    encodeFrame(
      0x10100501,
      1n,
      JSON.stringify({
        ContainerId: ZERO,
        ActivityId: ZERO,
        Settings: { ProcessParameters: params, VsockStdioRelaySettings: { StdOut: 0x40000001 } },
      }),
    ),
  );
  const started = await reader.reply(1n);
  expect(relay.dials.map((d) => d.guid)).toEqual([
    '40000000-facb-11e6-bd58-64006a7986d3',
    '40000001-facb-11e6-bd58-64006a7986d3',
  ]);
  const pid = started.body.ProcessId as number;
  expect(pid).toBeGreaterThan(0);
  b.write(
    encodeFrame(
      0x10100601,
      2n,
      JSON.stringify({ ContainerId: ZERO, ProcessId: pid, TimeoutInMs: 0xffffffff }),
    ),
  );
  expect((await reader.reply(2n)).body).toEqual({ Result: 0, ExitCode: 3 });
  await until(() => stdoutEnded, 20_000, 'stdout EOF');
  expect(stdout).toBe('hi\n');

  // --strict-null-container: SignalProcess and ResizeConsole on the null container answer
  // 0xC037010E even for a live process, as the Linux GCS does (§10).
  const sleeper = JSON.stringify({ CommandArgs: ['sleep', '1'] });
  b.write(
    encodeFrame(
      0x10100501,
      3n,
      JSON.stringify({ ContainerId: ZERO, Settings: { ProcessParameters: sleeper } }),
    ),
  );
  const live = (await reader.reply(3n)).body.ProcessId as number;
  b.write(
    encodeFrame(
      0x10100701,
      4n,
      JSON.stringify({ ContainerId: ZERO, ProcessId: live, Options: { Signal: 9 } }),
    ),
  );
  b.write(
    encodeFrame(0x10100801, 5n, JSON.stringify({ ContainerId: ZERO, ProcessId: live, Height: 1, Width: 1 })),
  );
  b.write(
    encodeFrame(
      0x10100601,
      6n,
      JSON.stringify({ ContainerId: ZERO, ProcessId: live, TimeoutInMs: 0xffffffff }),
    ),
  );
  expect(((await reader.reply(4n)).body.Result as number) >>> 0).toBe(0xc037010e);
  expect(((await reader.reply(5n)).body.Result as number) >>> 0).toBe(0xc037010e);
  expect((await reader.reply(6n)).body).toEqual({ Result: 0, ExitCode: 0 });

  // A share tag no 9p or virtiofs device carries: retried until --device-timeout, then NOT_FOUND.
  const share = join(dir, 'share-mount');
  b.write(
    encodeFrame(
      0x10100a01,
      7n,
      JSON.stringify({
        ContainerId: ZERO,
        Request: {
          ResourceType: 'MappedDirectory',
          RequestType: 'Add',
          Settings: { MountPath: share, ShareName: 'nosuch', Port: 564 },
        },
      }),
    ),
  );
  const missing = (await reader.reply(7n)).body;
  expect((missing.Result as number) >>> 0).toBe(0x80070490);
  expect(missing.ErrorMessage).toMatch(/^mount share nosuch at \/tmp\/lgs-\w+\/share-mount \(9p\): /);
  expect(existsSync(share)).toBe(false);
});
