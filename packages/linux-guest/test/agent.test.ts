/**
 * The host-built agent (ASan/UBSan) against the REAL guestmanager and hcsd, through the fake relay.
 *
 * The VM is created WITHOUT `VirtualMachine.GuestConnection` (`lcowDocument({ guestConnection:
 * false })`): hcsd's emulated agent only dials when a VM document asks for a guest connection,
 * so here nothing but uvmkit-gcs dials the host's listener at (RuntimeId, GCS service), and the
 * test keeps hcsd's real VM lifecycle and RuntimeId. The agent runs under
 * `unshare --net --mount` (its NIC changes and mounts stay in namespaces this test created) with
 * a fake sysfs root (SCSI hosts, the NIC's MAC) over real loop devices, a bind root for shares,
 * and a temp cgroup root and random device.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { anyInString, BridgeClosedError, Guest, type ResponseBase, RpcProc } from '@uvmkit/guestmanager';
import { type HcsError, UtilityVM } from '@uvmkit/hcs-core';
import { type HvSocketListener, listen, vsockServiceId } from '@uvmkit/hcs-core/hvsocket';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { lcowDocument, rejection, startTestHcsd, uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { GCS_MAX_FRAME, gcsOversizedRequestMessage } from '@uvmkit/hcs-schema';
import { lifetime } from '@uvmkit/lifetime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, buildHost, startAgent, until } from './helpers/agent.js';
import { type FakeRelay, startFakeRelay } from './helpers/fake-relay.js';

const dir = mkdtempSync('/tmp/lga-');
const sys = join(dir, 'sys');
const dev = join(dir, 'dev');
const loops: string[] = [];
let hcsd: HcsdProcess;
let vm: UtilityVM;
let guest: Guest;
let relay: FakeRelay;
let agent: Agent;
const entropy = randomBytes(512);
const logLines: string[] = [];
let nextPort = 0x40000001;

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8' });
}

/** An ext4 image holding `files`, attached to a loop device; returns the device name (loopN). */
function ext4Loop(name: string, files: Record<string, string>): string {
  const src = join(dir, `${name}-src`);
  mkdirSync(src);
  for (const [f, text] of Object.entries(files)) writeFileSync(join(src, f), text);
  const img = join(dir, `${name}.img`);
  sh('truncate', ['-s', '8M', img]);
  sh('mkfs.ext4', ['-q', '-F', '-b', '4096', '-d', src, img]);
  const loop = sh('losetup', ['-f', '--show', img]).trim();
  loops.push(loop);
  return loop.replace('/dev/', '');
}

/** Everything the stream carries until its end; `sofar` holds what arrived already. */
function collect(s: Duplex, sofar: { text: string } = { text: '' }): Promise<string> {
  return new Promise((resolve, reject) => {
    s.on('data', (b: Buffer) => {
      sofar.text += b.toString('utf8');
    });
    s.on('end', () => resolve(sofar.text));
    s.on('error', reject);
    s.resume();
  });
}

interface Run {
  pid: number;
  stdout: Promise<string>;
  /** stdout received so far */
  seen: { text: string };
  stderr: Promise<string>;
  stdin: Duplex | undefined;
  wait(timeout?: number): Promise<number>;
}

/** ExecuteProcess in the UVM with listeners for the requested pipes (the host listens first, §7). */
async function exec(
  params: Record<string, unknown>,
  pipes: { stdin?: boolean; stderr?: boolean } = {},
): Promise<Run> {
  const want: [string, boolean][] = [
    ['StdIn', pipes.stdin === true],
    ['StdOut', true],
    ['StdErr', pipes.stderr === true],
  ];
  const ports: Record<string, number> = {};
  const listeners: Record<string, HvSocketListener> = {};
  try {
    for (const [k, on] of want) {
      if (!on) continue;
      ports[k] = nextPort++;
      listeners[k] = await listen({ vmId: vm.runtimeId, serviceId: vsockServiceId(ports[k] as number) });
    }
    const r = await guest.rpc<ResponseBase & { ProcessId: number }>(RpcProc.ExecuteProcess, {
      Settings: {
        ProcessParameters: anyInString({
          CreateStdInPipe: pipes.stdin === true,
          CreateStdOutPipe: true,
          CreateStdErrPipe: pipes.stderr === true,
          ...params,
        }),
        VsockStdioRelaySettings: ports,
      },
    });
    const streams: Record<string, Duplex> = {};
    for (const [k, l] of Object.entries(listeners)) streams[k] = await l.accept({ timeout: 10_000 });
    const pid = r.ProcessId;
    const seen = { text: '' };
    return {
      pid,
      seen,
      stdout: collect(streams.StdOut as Duplex, seen),
      stderr: streams.StdErr ? collect(streams.StdErr) : Promise.resolve(''),
      stdin: streams.StdIn,
      async wait(timeout = 0xffffffff) {
        const w = await guest.rpc<ResponseBase & { ExitCode: number }>(RpcProc.WaitForProcess, {
          ProcessId: pid,
          TimeoutInMs: timeout,
        });
        return w.ExitCode;
      },
    };
  } finally {
    for (const l of Object.values(listeners)) await l.close();
  }
}

async function run(
  args: string[],
  more: Record<string, unknown> = {},
): Promise<{ out: string; code: number }> {
  const p = await exec({ CommandArgs: args, ...more });
  const [out, code] = await Promise.all([p.stdout, p.wait()]);
  return { out, code };
}

function agentMounts(): string {
  return readFileSync(`/proc/${agent.pid}/mountinfo`, 'utf8');
}

const nsId = randomUUID();
const nicId = randomUUID();

beforeAll(async () => {
  buildHost();
  process.env.UVMKIT_HVSOCK_DIR = dir;
  hcsd = await startTestHcsd();
  UtilityVM.use(lifetime);
  vm = await UtilityVM.create(uniqueSystemId('lgagent'), lcowDocument({ guestConnection: false }));
  guest = new Guest(vm);
  // Fake sysfs: two virtio-scsi hosts (5, then 9) and another driver's host 2; controller 0 = host5.
  for (const [h, name] of [
    [2, 'ata_piix'],
    [5, 'virtio_scsi'],
    [9, 'virtio_scsi'],
  ] as const) {
    mkdirSync(join(sys, 'class/scsi_host', `host${h}`), { recursive: true });
    writeFileSync(join(sys, 'class/scsi_host', `host${h}`, 'proc_name'), `${name}\n`);
  }
  // host9 (controller 1) takes targeted scans (the kernel's sysfs `scan` file; the others have none)
  writeFileSync(join(sys, 'class/scsi_host/host9/scan'), '');
  mkdirSync(dev);
  const disk = ext4Loop('disk', { 'marker.txt': 'marker from the SCSI disk\n' });
  mkdirSync(join(sys, 'bus/scsi/devices/9:0:0:3/block', disk), { recursive: true });
  writeFileSync(join(sys, 'bus/scsi/devices/9:0:0:3/delete'), '');
  symlinkSync(`/dev/${disk}`, join(dev, disk));
  const blankImg = join(dir, 'blank.img');
  sh('truncate', ['-s', '16M', blankImg]);
  const blank = sh('losetup', ['-f', '--show', blankImg]).trim();
  loops.push(blank);
  mkdirSync(join(sys, 'bus/scsi/devices/5:0:0:0/block', blank.replace('/dev/', '')), { recursive: true });
  symlinkSync(blank, join(dev, blank.replace('/dev/', '')));
  const pmem = ext4Loop('pmem', { 'layer.txt': 'from vpmem\n' });
  symlinkSync(`/dev/${pmem}`, join(dev, 'pmem0'));
  mkdirSync(join(sys, 'class/net/eth7'), { recursive: true });
  writeFileSync(join(sys, 'class/net/eth7/address'), '02:00:00:00:00:07\n');
  writeFileSync(join(sys, 'class/net/eth7/type'), '1\n');
  mkdirSync(join(dir, 'shares/share0'), { recursive: true });
  writeFileSync(join(dir, 'shares/share0/hello.txt'), 'hello from the share\n');
  mkdirSync(join(dir, 'cgroup'));
  writeFileSync(join(dir, 'random'), '');

  const entropyListener = await listen({ vmId: vm.runtimeId, serviceId: vsockServiceId(1) });
  const logListener = await listen({ vmId: vm.runtimeId, serviceId: vsockServiceId(109) });
  await guest.prepareConnection();
  await vm.start();
  relay = await startFakeRelay({ path: join(dir, 'relay.sock'), hvsockDir: dir, vmId: vm.runtimeId });
  agent = startAgent(
    [
      '--relay',
      relay.path,
      '--sysfs',
      sys,
      '--dev',
      dev,
      '--cgroup',
      join(dir, 'cgroup'),
      '--random-device',
      join(dir, 'random'),
      '--resolv-conf',
      join(dir, 'resolv.conf'),
      '--share-bind-root',
      join(dir, 'shares'),
      '--device-timeout',
      '1500',
      '--max-backoff',
      '400',
      '--loglevel',
      'debug',
    ],
    ['unshare', '--net', '--mount', '--propagation', 'private', '--'],
  );
  void entropyListener.accept({ timeout: 60_000 }).then((s) => s.end(entropy));
  void logListener.accept({ timeout: 60_000 }).then((s) => {
    s.on('data', (b: Buffer) => logLines.push(...b.toString('utf8').split('\n').filter(Boolean)));
    s.resume();
  });
  await guest.createConnection({ timeout: 60_000 });
}, 180_000);

afterAll(async () => {
  await agent?.stop();
  await guest?.closeConnection();
  if (vm !== undefined) {
    await vm.terminate().catch(() => {});
    await vm.close();
  }
  await relay?.close();
  await hcsd?.stop();
  for (const l of loops) execFileSync('losetup', ['-d', l]);
  rmSync(dir, { recursive: true, force: true });
});

describe('uvmkit-gcs with guestmanager through the relay', () => {
  it('negotiates protocol 4 as the Linux GCS, feeds the entropy service to the random device, logs JSON lines to the log service', async () => {
    const caps = guest.capabilities();
    expect(caps.os).toBe('linux');
    expect(caps.protocolVersion).toBe(4);
    expect(caps.guestDefined).toEqual({
      NamespaceAddRequestSupported: true,
      SignalProcessSupported: true,
      DumpStacksSupported: true,
      DeleteContainerStateSupported: true,
    });
    await until(() => readFileSync(join(dir, 'random')).length === 512, 20_000, 'entropy');
    expect(readFileSync(join(dir, 'random')).equals(entropy)).toBe(true);
    await until(() => logLines.some((l) => l.includes('protocol 4 negotiated')), 20_000, 'log lines');
    for (const l of logLines)
      expect(JSON.parse(l)).toEqual(
        expect.objectContaining({
          level: expect.any(String),
          msg: expect.any(String),
          time: expect.any(String),
        }),
      );
    const first = relay.dials
      .slice(0, 3)
      .map((d) => d.guid)
      .sort();
    expect(first).toEqual([
      '00000001-facb-11e6-bd58-64006a7986d3',
      '0000006d-facb-11e6-bd58-64006a7986d3',
      '40000000-facb-11e6-bd58-64006a7986d3',
    ]);
  });

  it('a request over GCS_MAX_FRAME: the agent answers E_INVALIDARG without reading it, the bridge stays up (as the emulated agent)', async () => {
    // The same call and assertions as guestmanager's e2e.test.ts against hcsd's emulated agent.
    const body = { Padding: 'x'.repeat(70_000) };
    const ids = {
      ContainerId: '00000000-0000-0000-0000-000000000000',
      ActivityId: '00000000-0000-0000-0000-000000000000',
    };
    const size = 16 + Buffer.byteLength(`${JSON.stringify({ ...ids, ...body })}\n`);
    expect(size).toBeGreaterThan(GCS_MAX_FRAME);
    const err = await rejection<HcsError>(guest.rpc(RpcProc.DumpStacks, body));
    expect(err.code).toBe('ERROR_INVALID_PARAMETER');
    expect(err.hresult).toBe(0x80070057);
    expect(err.op).toBe('DumpStacks');
    expect(err.message).toContain(gcsOversizedRequestMessage(size));
    expect(guest.connected).toBe(true);
    expect(await guest.dumpStacks()).toEqual(expect.any(String));
  });

  it('runs /bin/sh -c "echo hi; exit 3": stdout hi, exit code 3; stderr on its own stream', async () => {
    expect(await run(['/bin/sh', '-c', 'echo hi; exit 3'])).toEqual({ out: 'hi\n', code: 3 });
    const p = await exec(
      { CommandArgs: ['/bin/sh', '-c', 'echo out; echo err >&2; exit 0'] },
      { stderr: true },
    );
    expect(await Promise.all([p.stdout, p.stderr, p.wait()])).toEqual(['out\n', 'err\n', 0]);
  });

  it('honours Environment, WorkingDirectory, User and CommandLine; stdin reaches the process', async () => {
    expect(
      await run(['sh', '-c', 'echo "$FOO"; pwd; id -u; id -g'], {
        Environment: { FOO: 'bar baz', PATH: '/usr/bin:/bin' },
        WorkingDirectory: '/tmp',
        User: 'nobody',
      }),
    ).toEqual({ out: 'bar baz\n/tmp\n65534\n65534\n', code: 0 });
    expect(await run([], { CommandLine: `/bin/sh -c "echo 'one two'"` })).toEqual({
      out: 'one two\n',
      code: 0,
    });
    const cat = await exec({ CommandArgs: ['cat'] }, { stdin: true });
    cat.stdin?.end('through stdin\n');
    expect(await Promise.all([cat.stdout, cat.wait()])).toEqual(['through stdin\n', 0]);
  });

  it('24 processes at once each return their own output and exit code', async () => {
    const runs = await Promise.all(
      Array.from({ length: 24 }, (_, i) => run(['sh', '-c', `echo n${i}; exit ${i}`])),
    );
    expect(runs).toEqual(Array.from({ length: 24 }, (_, i) => ({ out: `n${i}\n`, code: i })));
  });

  it('a missing executable fails ExecuteProcess; unknown pids and timeouts answer as the Linux GCS', async () => {
    const err = await rejection<HcsError>(exec({ CommandArgs: ['/no/such/program'] }));
    expect(err.hresult).toBe(0x80004005);
    expect(err.message).toContain('/no/such/program: No such file or directory');
    const w = await rejection<HcsError>(
      guest.rpc(RpcProc.WaitForProcess, { ProcessId: 999_999, TimeoutInMs: 100 }),
    );
    expect(w.hresult).toBe(0x80070490);
    const p = await exec({ CommandArgs: ['sleep', '30'] });
    const t = await rejection<HcsError>(p.wait(100));
    expect(t.hresult).toBe(0xc0370109);
    await guest.rpc(RpcProc.SignalProcess, { ProcessId: p.pid });
    expect(await p.wait()).toBe(137);
    const gone = await rejection<HcsError>(
      guest.rpc(RpcProc.SignalProcess, { ProcessId: p.pid, Options: { Signal: 15 } }),
    );
    expect(gone.hresult).toBe(0x80070490);
  });

  it('SignalProcess delivers the given signal (SIGTERM → exit 143)', async () => {
    const p = await exec({
      CommandArgs: ['sh', '-c', 'trap "echo term; exit 143" TERM; echo ready; while :; do sleep 0.05; done'],
    });
    await until(() => p.seen.text.includes('ready'), 20_000, 'the trap to be set');
    await guest.rpc(RpcProc.SignalProcess, { ProcessId: p.pid, Options: { Signal: 15 } });
    expect(await Promise.all([p.stdout, p.wait()])).toEqual(['ready\nterm\n', 143]);
  });

  it('a console process gets a pty of ConsoleSize, and ResizeConsole changes it', async () => {
    const p = await exec(
      {
        CommandArgs: ['sh', '-c', 'stty size; read x; stty size'],
        EmulateConsole: true,
        ConsoleSize: [24, 80],
      },
      { stdin: true },
    );
    await until(() => p.seen.text.includes('24 80'), 20_000, 'the first stty size');
    await guest.rpc(RpcProc.ResizeConsole, { ProcessId: p.pid, Height: 40, Width: 100 });
    p.stdin?.write('go\n');
    expect(await p.wait()).toBe(0);
    expect((await p.stdout).replace(/\r/g, '')).toMatch(/^24 80\n(go\n)?40 100\n$/);
  });

  it('MappedVirtualDisk: SCSI controller 1 LUN 3 (the 2nd virtio-scsi host) mounts read-only; Remove unmounts; SCSIDevice Remove deletes it', async () => {
    const mount = join(dir, 'mnt/scsi');
    await guest.addMappedVirtualDisk({ MountPath: mount, Controller: 1, Lun: 3, ReadOnly: true });
    expect(await run(['cat', join(mount, 'marker.txt')])).toEqual({
      out: 'marker from the SCSI disk\n',
      code: 0,
    });
    expect((await run(['sh', '-c', `touch ${mount}/new 2>/dev/null; echo $?`])).out).toBe('1\n');
    expect(agentMounts()).toContain(` ${mount} `);
    await guest.removeMappedVirtualDisk({ MountPath: mount, Controller: 1, Lun: 3, ReadOnly: true });
    expect(agentMounts()).not.toContain(` ${mount} `);
    await guest.removeSCSIDevice({ Controller: 1, Lun: 3 });
    expect(readFileSync(join(sys, 'bus/scsi/devices/9:0:0:3/delete'), 'utf8')).toBe('1');
    const absent = await rejection<HcsError>(
      guest.addMappedVirtualDisk({ MountPath: join(dir, 'mnt/x'), Controller: 0, Lun: 9 }),
    );
    expect(absent.hresult).toBe(0x80070490);
    expect(absent.message).toContain('no SCSI disk at controller 0 LUN 9 after 1500 ms');
    // where the kernel can scan, one targeted scan that finds no LUN fails at once
    const scanned = await rejection<HcsError>(
      guest.addMappedVirtualDisk({ MountPath: join(dir, 'mnt/y'), Controller: 1, Lun: 8 }),
    );
    expect(scanned.hresult).toBe(0x80070490);
    expect(scanned.message).toContain(
      'no SCSI disk at controller 1 LUN 8 (a scan of SCSI host 9 found none)',
    );
    expect(readFileSync(join(sys, 'class/scsi_host/host9/scan'), 'utf8')).toBe('0 0 8');
  });

  it('MappedVirtualDisk EnsureFilesystem formats an empty disk (mkfs.ext4) and mounts it read-write; BlockDev binds the device node', async () => {
    const mount = join(dir, 'mnt/blank');
    await guest.addMappedVirtualDisk({
      MountPath: mount,
      Controller: 0,
      Lun: 0,
      EnsureFilesystem: true,
      Filesystem: 'ext4',
    });
    expect(await run(['sh', '-c', `echo saved > ${mount}/f; cat ${mount}/f; ls ${mount}`])).toEqual({
      out: 'saved\nf\nlost+found\n',
      code: 0,
    });
    await guest.removeMappedVirtualDisk({ MountPath: mount, Controller: 0, Lun: 0 });
    const node = join(dir, 'mnt/blockdev');
    await guest.addMappedVirtualDisk({ MountPath: node, Controller: 0, Lun: 0, BlockDev: true });
    expect(await run(['sh', '-c', `test -b ${node} && echo block`])).toEqual({ out: 'block\n', code: 0 });
    await guest.removeMappedVirtualDisk({ MountPath: node, Controller: 0, Lun: 0, BlockDev: true });
    expect(agentMounts()).not.toContain(` ${node} `);
  });

  it('MappedDirectory (bind root), VPMemDevice and CombinedLayers mount for real; a Remove of something absent succeeds', async () => {
    const share = join(dir, 'mnt/share');
    await guest.addMappedDirectory({ MountPath: share, ShareName: 'share0', ReadOnly: true });
    expect(await run(['cat', join(share, 'hello.txt')])).toEqual({ out: 'hello from the share\n', code: 0 });
    await guest.removeMappedDirectory({ MountPath: share, ShareName: 'share0', ReadOnly: true });
    await guest.removeMappedDirectory({ MountPath: share, ShareName: 'share0', ReadOnly: true });

    const layer = join(dir, 'mnt/pmem0');
    await guest.addVPMemDevice({ DeviceNumber: 0, MountPath: layer });
    expect(await run(['cat', join(layer, 'layer.txt')])).toEqual({ out: 'from vpmem\n', code: 0 });

    const l2 = join(dir, 'layer2');
    mkdirSync(l2);
    writeFileSync(join(l2, 'top.txt'), 'top layer\n');
    const root = join(dir, 'mnt/rootfs');
    const scratch = join(dir, 'scratch');
    const layers = {
      ContainerID: 'c1',
      ContainerRootPath: root,
      Layers: [{ Path: l2 }, { Path: layer }],
      ScratchPath: scratch,
    };
    await guest.addCombinedLayers(layers);
    expect(
      await run(['sh', '-c', `cat ${root}/top.txt ${root}/layer.txt; echo new > ${root}/written.txt`]),
    ).toEqual({
      out: 'top layer\nfrom vpmem\n',
      code: 0,
    });
    expect(readFileSync(join(scratch, 'upper/written.txt'), 'utf8')).toBe('new\n');
    await guest.removeCombinedLayers(layers);
    await guest.removeCombinedLayers(layers);
    await guest.removeVPMemDevice({ DeviceNumber: 0, MountPath: layer });
    await guest.removeVPMemDevice({ DeviceNumber: 0, MountPath: layer });
    const mounts = agentMounts();
    for (const m of [share, layer, root]) expect(mounts).not.toContain(` ${m} `);
  });

  it('Network: the NIC with MacAddress gets its address, default route and DNS; Remove takes them away', async () => {
    const inNs = (args: string[]) => sh('nsenter', ['-t', String(agent.pid), '-n', ...args]);
    inNs(['ip', 'tuntap', 'add', 'dev', 'eth7', 'mode', 'tap']);
    inNs(['ip', 'link', 'set', 'dev', 'eth7', 'address', '02:00:00:00:00:07']);
    const adapter = {
      NamespaceID: nsId,
      ID: nicId,
      MacAddress: '02-00-00-00-00-07',
      IPConfigs: [{ IPAddress: '10.99.0.2', PrefixLength: 24 }],
      Routes: [{ NextHop: '10.99.0.1', DestinationPrefix: '0.0.0.0/0' }],
      DNSServerList: '10.99.0.53,10.99.0.54',
      DNSSuffix: 'lab.test',
    };
    await guest.addNetworkInterface(adapter);
    const addrs = JSON.parse(inNs(['ip', '-j', 'addr', 'show', 'dev', 'eth7'])) as {
      flags: string[];
      addr_info: { local: string; prefixlen: number; family: string }[];
    }[];
    expect(addrs[0]?.flags).toContain('UP');
    expect(addrs[0]?.addr_info.filter((a) => a.family === 'inet')).toEqual([
      expect.objectContaining({ local: '10.99.0.2', prefixlen: 24 }),
    ]);
    const routes = JSON.parse(inNs(['ip', '-j', 'route', 'show', 'default'])) as {
      gateway: string;
      dev: string;
    }[];
    expect(routes).toEqual([expect.objectContaining({ gateway: '10.99.0.1', dev: 'eth7' })]);
    expect(readFileSync(join(dir, 'resolv.conf'), 'utf8')).toBe(
      'search lab.test\nnameserver 10.99.0.53\nnameserver 10.99.0.54\n',
    );
    await guest.removeNetworkInterface(adapter);
    const after = JSON.parse(inNs(['ip', '-j', 'addr', 'show', 'dev', 'eth7'])) as typeof addrs;
    expect(after[0]?.addr_info.filter((a) => a.family === 'inet')).toEqual([]);
    expect(after[0]?.flags).not.toContain('UP');
    await guest.removeNetworkInterface({ ...adapter, MacAddress: '02-00-00-00-00-99' });
  });

  it('PodCgroupMemoryLimit sets the containers cgroup to MemTotal minus the root reserve; unknown resources are E_FAIL', async () => {
    await guest.updateCgroupMemoryLimits();
    const kb = Number(/MemTotal:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]);
    expect(readFileSync(join(dir, 'cgroup/containers/memory.max'), 'utf8')).toBe(
      String(kb * 1024 - 75 * 1024 * 1024),
    );
    const bad = await rejection<HcsError>(
      guest.modify({ ResourceType: 'NetworkNamespace' as never, RequestType: 'Add', Settings: {} }),
    );
    expect(bad.hresult).toBe(0x80004005);
    expect(bad.message).toContain('invalid ResourceType NetworkNamespace');
    expect(await guest.dumpStacks()).toMatch(/^uvmkit-gcs 0\.1\.0 pid \d+\nthread \d+ /);
  });

  it('survives bridge loss: a pending wait fails with the bridge, the agent re-dials, the process keeps running and is waited on the new bridge', async () => {
    const p = await exec({ CommandArgs: ['sh', '-c', 'sleep 1; echo after; exit 5'] });
    const out = p.stdout;
    const pending = rejection<BridgeClosedError>(p.wait());
    await new Promise((r) => setTimeout(r, 100));
    await guest.closeConnection();
    expect(await pending).toBeInstanceOf(BridgeClosedError);
    await guest.prepareConnection();
    await guest.createConnection({ coldStart: false, timeout: 60_000 });
    expect(await p.wait()).toBe(5);
    expect(await out).toBe('after\n');
    expect(await run(['echo', 'again'])).toEqual({ out: 'again\n', code: 0 });
    expect(relay.dials.filter((d) => d.guid === '40000000-facb-11e6-bd58-64006a7986d3' && d.ok).length).toBe(
      2,
    );
  });

  it('the agent reported no AddressSanitizer or UndefinedBehaviorSanitizer error and is still running', () => {
    expect(agent.stderr()).not.toMatch(/AddressSanitizer|LeakSanitizer|runtime error:/);
    expect(() => process.kill(agent.pid, 0)).not.toThrow();
  });
});
