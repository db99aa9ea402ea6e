/**
 * The guestmanager tests that apply to any Linux guest agent, run against both: hcsd's emulated
 * agent (`test/agent.test.ts`, project `guestmanager`) and the real uvmkit-gcs in a QEMU VM
 * (`test/qemu/agent.test.ts`, project `qemu-guest`). One VM per file (the target's `setup`),
 * shared by every test: each test leaves the guest as it found it (mounts removed, processes
 * ended or harmless, the bridge reconnected). What the agents answer is gcs-protocol.md §10 (how
 * the Linux GCS answers); the differences by design are the target's `differences` and
 * `commands` (README, "The emulated and the real agent").
 */
import { tracingChannel } from 'node:diagnostics_channel';
import type { Readable } from 'node:stream';
import { type HcsError, type TraceContext, TracingChannels } from '@uvmkit/hcs-core';
import { rejection } from '@uvmkit/hcs-emulator/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcProc } from '../../src/bridge/protocol.js';
import { ConnectionLostError } from '../../src/errors.js';
import type { Guest } from '../../src/guest.js';
import type { GuestProcess } from '../../src/process.js';
import { LINUX_NEGOTIATE_RESPONSE } from '../helpers/fake-guest.js';
import { type AgentTarget, parseMounts } from './target.js';

const NULL_ID = '00000000-0000-0000-0000-000000000000';
const WAIT_FOR_PROCESS = 0x00100601;
const START = 0x00100201;

export function collect(s: Readable | null): Promise<Buffer> {
  if (s === null) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on('data', (b: Buffer) => parts.push(b));
    s.once('end', () => resolve(Buffer.concat(parts)));
    s.once('error', reject);
  });
}

export const text = async (s: Readable | null): Promise<string> => (await collect(s)).toString('utf8');

/** Run argv in the UVM: stdout, stderr, exit code. */
export async function run(
  guest: Guest,
  argv: string[],
): Promise<{ stdout: string; stderr: string; code: number }> {
  const p: GuestProcess = await guest.execIntoUVM({
    CommandArgs: argv,
    CreateStdInPipe: false,
    CreateStdOutPipe: true,
    CreateStdErrPipe: true,
  });
  try {
    const [stdout, stderr, code] = await Promise.all([text(p.stdout), text(p.stderr), p.wait()]);
    return { stdout, stderr, code };
  } finally {
    await p.close();
  }
}

/** The guest's mounts (`cat /proc/mounts`: the real file, or the emulated guest's table). */
async function mounts(guest: Guest) {
  const r = await run(guest, ['cat', '/proc/mounts']);
  expect(r.code).toBe(0);
  return parseMounts(r.stdout);
}

async function until(pred: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function agentSuite(t: AgentTarget): void {
  beforeAll(() => t.setup());
  afterAll(() => t.teardown());
  const dev = () => ({ timeout: t.deviceTimeout });

  describe(`the ${t.name} agent: connection`, () => {
    it('Negotiate v4: exactly the Linux GCS capabilities (§4.4)', () => {
      expect(t.guest.capabilities()).toEqual({
        protocolVersion: 4,
        os: 'linux',
        sendHostCreateMessage: false,
        sendHostStartMessage: false,
        hvSocketConfigOnStartup: false,
        supportedSchemaVersions: [{ Major: 2, Minor: 1 }],
        guestDefined: LINUX_NEGOTIATE_RESPONSE.Capabilities.GuestDefinedCapabilities,
        raw: LINUX_NEGOTIATE_RESPONSE.Capabilities,
      });
    });

    // before any test closes the bridge: closeConnection also closes the boot listeners
    it('boot listeners: the agent read 512 bytes of entropy; its log lands in the logger, tagged with the VM id', async () => {
      await until(() => t.boot.entropyServed === 512);
      const p = await t.guest.execIntoUVM({ CommandArgs: ['true'], CreateStdInPipe: false });
      expect(await p.wait()).toBe(0);
      await p.close();
      await until(() => t.logs.some((r) => r.message.startsWith(`process ${p.pid} exited`)));
      const started = t.logs.find((r) => r.message.startsWith(`process ${p.pid} started`));
      expect(started).toMatchObject({
        level: 'info',
        fields: { time: expect.any(String), vmId: t.vm.id, source: 'guest' },
      });
      expect(t.boot.logLines).toBeGreaterThanOrEqual(3);
    });

    it('raw procedures (§10): a second Negotiate, UpdateContainer, LifecycleNotification, ModifyServiceSettings → E_NOTIMPL; Request as a string, Create with schema 2.0 → 0xC037010D; ShutdownForced of an unknown id → 0xC037010E', async () => {
      const { guest } = t;
      const again = await rejection<HcsError>(
        guest.rpc(RpcProc.NegotiateProtocol, { MinimumVersion: 4, MaximumVersion: 4 }, { containerId: '' }),
      );
      expect(again.hresult).toBe(0x80004001);
      for (const proc of [
        RpcProc.UpdateContainer,
        RpcProc.LifecycleNotification,
        RpcProc.ModifyServiceSettings,
      ]) {
        const err = await rejection<HcsError>(guest.rpc(proc, {}));
        expect(err.hresult, `0x${proc.toString(16)}`).toBe(0x80004001);
      }
      const asString = await rejection<HcsError>(
        guest.rpc(RpcProc.ModifySettings, { Request: 'not an object' }),
      );
      expect(asString.hresult).toBe(0xc037010d);
      const schema20 = await rejection<HcsError>(
        guest.rpc(
          RpcProc.Create,
          { ContainerConfig: JSON.stringify({ SchemaVersion: { Major: 2, Minor: 0 } }) },
          { containerId: 'old-schema' },
        ),
      );
      expect(schema20.hresult).toBe(0xc037010d);
      const forced = await rejection<HcsError>(
        guest.rpc(RpcProc.ShutdownForced, {}, { containerId: 'ghost' }),
      );
      expect(forced.hresult).toBe(0xc037010e);
      expect(guest.connected).toBe(true);
    });

    it('tracing: a guest request that succeeds and one the agent fails, with its HRESULT', async () => {
      const rows: unknown[][] = [];
      const ch = tracingChannel<object, TraceContext>(TracingChannels.guestRequest);
      const on = (event: string) => (ctx: TraceContext) => {
        rows.push([
          event,
          ctx.operation,
          ctx.resourcePath,
          ctx.requestType,
          ctx.hresult,
          ctx.errorCode,
          ctx.vmId,
        ]);
      };
      const handlers = { start: on('start'), asyncEnd: on('asyncEnd'), error: on('error') };
      ch.subscribe(handlers as never);
      try {
        await t.guest.removeMappedVirtualDisk({ MountPath: '/run/agent/traced', Controller: 0, Lun: 6 });
        await rejection(t.guest.modify({ ResourceType: 'NoSuchResource', RequestType: 'Add' } as never));
      } finally {
        ch.unsubscribe(handlers as never);
      }
      const id = t.vm.id;
      expect(rows).toEqual([
        ['start', 'ModifySettings', 'MappedVirtualDisk', 'Remove', undefined, undefined, id],
        ['asyncEnd', 'ModifySettings', 'MappedVirtualDisk', 'Remove', 0, undefined, id],
        ['start', 'ModifySettings', 'NoSuchResource', 'Add', undefined, undefined, id],
        ['error', 'ModifySettings', 'NoSuchResource', 'Add', 0x80004005, 'E_FAIL', id],
        ['asyncEnd', 'ModifySettings', 'NoSuchResource', 'Add', 0x80004005, 'E_FAIL', id],
      ]);
    });

    it('DumpStacks answers a non-empty dump', async () => {
      const stacks = await t.guest.dumpStacks();
      expect(stacks.length).toBeGreaterThan(0);
    });

    it('the host closing the bridge: the agent re-dials; a reconnect finds its mounts and running processes', async () => {
      const { vm } = t;
      let guest = t.guest;
      const share = { Name: 'keep', AccessName: 'keep', Path: t.sharePath('keep'), Port: 564 };
      await vm.addPlan9(share);
      const mount = { MountPath: '/run/agent/keep', ShareName: 'keep', ReadOnly: true };
      await guest.addMappedDirectory(mount, dev());
      // long enough to outlast the reconnect (host stdio of a process ends with its bridge: StdioLost)
      const p = await guest.execIntoUVM({ CommandArgs: ['sleep', '5'], CreateStdInPipe: false });
      const waited = rejection<HcsError>(p.wait());
      await guest.closeConnection();
      const lost = await waited;
      expect(lost).toBeInstanceOf(ConnectionLostError);
      expect(lost.code).toBe('ConnectionLost');
      await guest.prepareConnection();
      const caps = await guest.createConnection({ coldStart: false, timeout: 60_000 });
      expect(caps.protocolVersion).toBe(4);
      guest = t.guest;
      // still running: a bounded wait times out (0xC0370109); then it exits 0 on its own
      const running = await rejection<HcsError>(
        guest.rpc(WAIT_FOR_PROCESS, { ProcessId: p.pid, TimeoutInMs: 50 }),
      );
      expect(running.hresult).toBe(0xc0370109);
      expect(await guest.rpc(WAIT_FOR_PROCESS, { ProcessId: p.pid, TimeoutInMs: 0xffffffff })).toMatchObject({
        ExitCode: 0,
      });
      await p.close();
      expect((await mounts(guest)).filter((m) => m.path === '/run/agent/keep')).toEqual([
        expect.objectContaining({ fs: '9p' }),
      ]);
      await guest.removeMappedDirectory(mount, dev());
      await vm.removePlan9(share);
    }, 120_000);
  });

  describe(`the ${t.name} agent: ModifySettings`, () => {
    it('mapped disk: host addSCSIDisk → guest addMappedVirtualDisk → mounted read-only → remove both → gone', async () => {
      const { vm, guest } = t;
      await vm.addSCSIDisk({ Type: 'VirtualDisk', Path: t.diskPath() }, 0, 1);
      const disk = { MountPath: '/run/agent/disk', Controller: 0, Lun: 1, ReadOnly: true };
      await guest.addMappedVirtualDisk(disk, dev());
      const m = (await mounts(guest)).filter((x) => x.path === '/run/agent/disk');
      expect(m).toHaveLength(1);
      expect(m[0]?.fs).toBe('ext4');
      expect(m[0]?.options[0]).toBe('ro');
      await guest.removeMappedVirtualDisk(disk, dev());
      await guest.removeSCSIDevice({ Controller: 0, Lun: 1 }, dev());
      await vm.removeSCSIDisk(0, 1);
      expect((await mounts(guest)).filter((x) => x.path === '/run/agent/disk')).toEqual([]);
    });

    it('a mapped disk the host never attached: ERROR_NOT_FOUND (0x80070490); the bridge stays up', async () => {
      const err = await rejection<HcsError>(
        t.guest.addMappedVirtualDisk({ MountPath: '/run/agent/none', Controller: 0, Lun: 9 }, dev()),
      );
      expect(err.code).toBe('ERROR_NOT_FOUND');
      expect(err.hresult).toBe(0x80070490);
      expect(err.op).toBe('ModifySettings');
      expect(t.guest.connected).toBe(true);
    });

    it('Plan 9: host addPlan9 → guest addMappedDirectory (ShareName = the share Name) → mounted → remove both', async () => {
      const { vm, guest } = t;
      const share = { Name: 'cfg', AccessName: 'cfg', Path: t.sharePath('cfg'), Port: 564 };
      await vm.addPlan9(share);
      const dir = { MountPath: '/run/agent/cfg', ShareName: 'cfg', ReadOnly: true };
      await guest.addMappedDirectory(dir, dev());
      expect((await mounts(guest)).filter((x) => x.path === '/run/agent/cfg')).toEqual([
        expect.objectContaining({ fs: '9p' }),
      ]);
      await guest.removeMappedDirectory(dir, dev());
      await vm.removePlan9(share);
      expect((await mounts(guest)).filter((x) => x.path === '/run/agent/cfg')).toEqual([]);
    });

    it('VPMem: host addVPMemDevice → guest addVPMemDevice → /dev/pmem0 mounted read-only → guest remove → gone', async () => {
      const { vm, guest } = t;
      await vm.addVPMemDevice(0, { HostPath: t.pmemPath(), ReadOnly: true, ImageFormat: 'Vhd1' });
      const layer = { DeviceNumber: 0, MountPath: '/run/agent/pmem0' };
      await guest.addVPMemDevice(layer, dev());
      const m = (await mounts(guest)).filter((x) => x.path === '/run/agent/pmem0');
      expect(m).toEqual([expect.objectContaining({ dev: '/dev/pmem0', fs: 'ext4' })]);
      expect(m[0]?.options[0]).toBe('ro');
      await guest.removeVPMemDevice(layer, dev());
      expect((await mounts(guest)).filter((x) => x.path === '/run/agent/pmem0')).toEqual([]);
      // the host device stays until the VM ends: QEMU cannot unplug virtio-pmem
    });

    it('a share the host never added: ERROR_NOT_FOUND', async () => {
      const err = await rejection<HcsError>(
        t.guest.addMappedDirectory({ MountPath: '/run/agent/nope', ShareName: 'nope' }, dev()),
      );
      expect(err.code).toBe('ERROR_NOT_FOUND');
    });

    it('NIC: host addNIC → guest addNetworkInterface (address, default route) → guest remove → host remove', async () => {
      const { vm, guest, nic } = t;
      const host = { EndpointId: nic.endpointId, MacAddress: nic.mac };
      await vm.addNIC(nic.id, host);
      const adapter = {
        NamespaceID: '00000000-0000-0000-0000-000000000001',
        ID: nic.id,
        MacAddress: nic.mac,
        IPConfigs: [{ IPAddress: '10.0.2.15', PrefixLength: 24 }],
        Routes: [{ NextHop: '10.0.2.2', DestinationPrefix: '0.0.0.0/0' }],
      };
      await guest.addNetworkInterface(adapter, dev());
      await guest.removeNetworkInterface({ NamespaceID: adapter.NamespaceID, ID: nic.id }, dev());
      await vm.removeNIC(nic.id, host);
    });

    it('Remove of what is not there succeeds (§10): mapped disk, mapped directory, VPMem, NIC, combined layers', async () => {
      const { guest } = t;
      await guest.removeMappedVirtualDisk({ MountPath: '/run/agent/absent-d', Controller: 0, Lun: 7 }, dev());
      await guest.removeMappedDirectory({ MountPath: '/run/agent/absent-p9', ShareName: 'absent' }, dev());
      await guest.removeVPMemDevice({ DeviceNumber: 5, MountPath: '/run/agent/absent-pmem' }, dev());
      await guest.removeNetworkInterface(
        { NamespaceID: '00000000-0000-0000-0000-000000000002', ID: '0a0b0c0d-1111-4222-8333-444455556666' },
        dev(),
      );
      await guest.removeCombinedLayers(
        {
          ContainerID: 'absent',
          ContainerRootPath: '/run/agent/absent-root',
          Layers: [{ Path: '/run/agent/absent-layer' }],
        },
        dev(),
      );
      expect(guest.connected).toBe(true);
    });

    it('an unknown ResourceType, and HvSocket on a Linux guest: 0x80004005 "invalid ResourceType" (§10)', async () => {
      const { guest, vm } = t;
      const unknown = await rejection<HcsError>(
        guest.modify({ ResourceType: 'NoSuchResource', RequestType: 'Add', Settings: {} } as never),
      );
      expect(unknown.code).toBe('E_FAIL');
      expect(unknown.hresult).toBe(0x80004005);
      expect(unknown.hcsMessage).toContain('invalid ResourceType');
      const hv = await rejection<HcsError>(guest.updateHvSocketAddress({ LocalAddress: vm.runtimeId }));
      expect(hv.hresult).toBe(0x80004005);
      expect(guest.connected).toBe(true);
    });

    it('security policy: the first is accepted, a second is E_FAIL; a junk fragment is E_FAIL (COSE validation)', async () => {
      const { guest } = t;
      const policy = {
        EnforcerType: 'rego',
        EncodedSecurityPolicy: Buffer.from('package policy').toString('base64'),
      };
      await guest.addSecurityPolicy(policy);
      const again = await rejection<HcsError>(guest.addSecurityPolicy(policy));
      expect(again.code).toBe('E_FAIL');
      const junk = await rejection<HcsError>(
        guest.injectPolicyFragment({ Fragment: Buffer.from('fragment').toString('base64') }),
      );
      expect(junk.code).toBe('E_FAIL');
      expect(junk.hcsMessage).toContain('COSE validation');
    });

    it('PodCgroupMemoryLimit Update is accepted (twice)', async () => {
      await t.guest.updateCgroupMemoryLimits();
      await t.guest.updateCgroupMemoryLimits();
    });

    it('unknown container ids (§10): Start → 0; DeleteContainerState and ContainerConstraints → 0xC037010E', async () => {
      const { guest } = t;
      expect(await guest.rpc(START, {}, { containerId: 'ghost' })).toMatchObject({ Result: 0 });
      const del = await rejection<HcsError>(guest.deleteContainerState('ghost'));
      expect(del.hresult).toBe(0xc037010e);
      const upd = await rejection<HcsError>(guest.updateContainerConstraints('ghost', { Linux: {} }));
      expect(upd.code).toBe('HCS_E_SYSTEM_NOT_FOUND');
      expect(upd.hresult).toBe(0xc037010e);
    });
  });

  describe(`the ${t.name} agent: processes in the UVM`, () => {
    it('/bin/sh -c "echo hi; exit 3" gives hi and 3; a second wait gives 3 at once', async () => {
      await using p = await t.guest.execIntoUVM({ CommandArgs: ['/bin/sh', '-c', 'echo hi; exit 3'] });
      expect(p.pid).toBeGreaterThan(0);
      expect(p.containerId).toBe(NULL_ID);
      const [out, err, code] = await Promise.all([text(p.stdout), text(p.stderr), p.wait()]);
      expect(out).toBe('hi\n');
      expect(err).toBe('');
      expect(code).toBe(3);
      expect(p.exitCode).toBe(3);
      expect(await p.wait()).toBe(3);
    });

    it('stdin EOF: cat echoes what was written and exits 0 when stdin ends', async () => {
      const p = await t.guest.execIntoUVM({ CommandLine: 'cat' });
      const out = text(p.stdout);
      p.stdin?.write('hello ');
      p.stdin?.end('world\n');
      expect(await out).toBe('hello world\n');
      expect(await p.wait()).toBe(0);
      await p.close();
    });

    it('interleaved stdout/stderr arrive on their own streams, each in order', async () => {
      const p = await t.guest.execIntoUVM({ CommandArgs: t.commands.interleave(200) });
      const [out, err, code] = await Promise.all([text(p.stdout), text(p.stderr), p.wait()]);
      expect(code).toBe(0);
      expect(out).toBe(Array.from({ length: 200 }, (_, i) => `out ${i}\n`).join(''));
      expect(err).toBe(Array.from({ length: 200 }, (_, i) => `err ${i}\n`).join(''));
      await p.close();
    });

    it('4 MiB through stdout, read only after a pause: every byte arrives in order', async () => {
      const total = 4 * 1024 * 1024;
      const cmd = t.commands.output(total);
      const p = await t.guest.execIntoUVM({ CommandArgs: cmd.argv, CreateStdInPipe: false });
      expect(p.stdin).toBeNull();
      await new Promise((r) => setTimeout(r, 400));
      const data = await collect(p.stdout);
      expect(data.length).toBe(total);
      let bad = -1;
      for (let i = 0; i < data.length; i++)
        if (data[i] !== cmd.byteAt(i)) {
          bad = i;
          break;
        }
      expect(bad).toBe(-1);
      expect(await p.wait()).toBe(0);
      await p.close();
    }, 120_000);

    it('a terminal: one pty stream (no stderr), CRLF output, the exit code', async () => {
      const p = await t.guest.execIntoUVM({
        CommandArgs: ['sh', '-c', 'echo a; cat /nope'],
        EmulateConsole: true,
        ConsoleSize: [30, 100],
      });
      expect(p.terminal).toBe(true);
      expect(p.stderr).toBeNull();
      const [out, code] = await Promise.all([text(p.stdout), p.wait()]);
      expect(out).toMatch(/^a\r\ncat: [^\r\n]*\/nope[^\r\n]*No such file or directory\r\n$/);
      expect(code).toBe(1);
      await p.close();
    });

    it('a terminal of ConsoleSize [30, 100] (height, width) has 30 rows and 100 columns', async () => {
      const p = await t.guest.execIntoUVM({
        CommandArgs: t.commands.consoleSize(),
        EmulateConsole: true,
        ConsoleSize: [30, 100],
      });
      let seen = '';
      p.stdout?.setEncoding('utf8');
      p.stdout?.on('data', (d: string) => {
        seen += d;
      });
      await until(() => seen.includes('\r\n'));
      p.stdin?.end();
      expect(await p.wait()).toBe(0);
      expect(seen).toBe('30 100\r\n');
      await p.close();
    });

    it('Environment and WorkingDirectory reach the process (env, pwd)', async () => {
      const env = { PATH: '/bin:/usr/bin:/sbin:/usr/sbin', UVMKIT_A: 'one two', UVMKIT_B: 'x=y' };
      const p = await t.guest.execIntoUVM({ CommandArgs: ['env'], Environment: env, CreateStdInPipe: false });
      const [out, code] = await Promise.all([text(p.stdout), p.wait()]);
      await p.close();
      expect(code).toBe(0);
      expect(
        out
          .split('\n')
          .filter((l) => l !== '')
          .sort(),
      ).toEqual(['PATH=/bin:/usr/bin:/sbin:/usr/sbin', 'UVMKIT_A=one two', 'UVMKIT_B=x=y']);
      const q = await t.guest.execIntoUVM({
        CommandArgs: ['pwd'],
        WorkingDirectory: '/tmp',
        CreateStdInPipe: false,
      });
      const [where, qcode] = await Promise.all([text(q.stdout), q.wait()]);
      await q.close();
      expect({ where, qcode }).toEqual({ where: '/tmp\n', qcode: 0 });
    });

    if (t.differences.nullContainerSignals === 'refused') {
      it('signal and resize of a UVM process → 0xC037010E, as the Linux GCS answers (§10)', async () => {
        const q = await t.guest.execIntoUVM({ CommandArgs: ['sleep', '30'] });
        const e1 = await rejection<HcsError>(q.signal('SIGTERM'));
        expect(e1.code).toBe('HCS_E_SYSTEM_NOT_FOUND');
        expect(e1.hresult).toBe(0xc037010e);
        const e2 = await rejection<HcsError>(q.resize(120, 40));
        expect(e2.hresult).toBe(0xc037010e);
        await q.close();
      });
    } else {
      it('signal and resize of a UVM process are delivered (uvmkit-gcs default; §10 refuses them)', async () => {
        const q = await t.guest.execIntoUVM({ CommandArgs: ['sleep', '30'], CreateStdInPipe: false });
        expect(await q.signal('SIGTERM')).toBe(true);
        expect(await q.wait()).toBe(128 + 15);
        expect(await q.signal('SIGTERM')).toBe(false); // gone: ERROR_NOT_FOUND
        await q.close();
        const tp = await t.guest.execIntoUVM({
          CommandArgs: ['sh', '-c', 'stty size; read x; stty size'],
          EmulateConsole: true,
          ConsoleSize: [30, 100],
        });
        let seen = '';
        tp.stdout?.setEncoding('utf8');
        tp.stdout?.on('data', (d: string) => {
          seen += d;
        });
        await until(() => seen.includes('30 100\r\n'));
        await tp.resize(120, 40);
        tp.stdin?.write('\n');
        expect(await tp.wait()).toBe(0);
        await until(() => seen.endsWith('40 120\r\n'));
        await tp.close();
      });
    }

    it('close during a pending wait rejects it with Closed; close is idempotent; use after close is Closed; abort', async () => {
      const p = await t.guest.execIntoUVM({ CommandArgs: ['sleep', '30'] });
      const w = rejection<HcsError>(p.wait());
      await p.close();
      await p.close();
      expect((await w).code).toBe('Closed');
      expect((await rejection<HcsError>(p.wait())).code).toBe('Closed');
      expect((await rejection<HcsError>(p.signal(9))).code).toBe('Closed');
      const ac = new AbortController();
      const q = await t.guest.execIntoUVM({ CommandArgs: ['sleep', '30'] });
      const aborted = rejection<HcsError>(q.wait({ signal: ac.signal }));
      ac.abort('stop');
      expect((await aborted).code).toBe('Aborted');
      await q.close();
    });

    it('errors: an unknown command is E_FAIL (not found in $PATH); WaitForProcess of an unknown pid / past its timeout', async () => {
      const { guest } = t;
      const bad = await rejection<HcsError>(guest.execIntoUVM({ CommandArgs: ['no-such-command'] }));
      expect(bad.code).toBe('E_FAIL');
      expect(bad.hcsMessage).toContain('executable file not found');
      const nf = await rejection<HcsError>(
        guest.rpc(WAIT_FOR_PROCESS, { ProcessId: 99999, TimeoutInMs: 0xffffffff }, { containerId: NULL_ID }),
      );
      expect(nf.code).toBe('ERROR_NOT_FOUND');
      const p = await guest.execIntoUVM({ CommandArgs: ['sleep', '30'] });
      const to = await rejection<HcsError>(
        guest.rpc(WAIT_FOR_PROCESS, { ProcessId: p.pid, TimeoutInMs: 50 }),
      );
      expect(to.hresult).toBe(0xc0370109);
      await p.close();
    });
  });
}
