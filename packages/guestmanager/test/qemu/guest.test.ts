/**
 * End to end on hcsd's qemu engine with the REAL guest agent (uvmkit-gcs, dialling the host's GCS
 * listener through the HvSocket relay), through the public API only: create → prepare → start →
 * connected (Negotiate v4) → addSCSIDisk → addMappedVirtualDisk → a process in the guest reads the
 * marker file from that disk (stdout, exit code 0) → remove both → the guest no longer sees it →
 * `/bin/sh -c "echo hi; exit 3"` gives `hi` and 3 → terminate. The same for a Plan 9 share (the
 * guest reads a host file through it) and a NIC (the guest reaches the user-mode network's
 * gateway, which forwards to a server on the host's loopback).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UtilityVM } from '@uvmkit/hcs-core';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { startTestHcsd, uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { ScsiControllerGuids } from '@uvmkit/hcs-schema';
import { lifetime } from '@uvmkit/lifetime';
import { network } from '@uvmkit/network';
import { plan9 } from '@uvmkit/plan9';
import { scsi } from '@uvmkit/scsi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guest } from '../../src/guest.js';
import type { GuestProcess } from '../../src/process.js';

/** The guest image (`pnpm guest-image`, cached): kernel + initramfs with uvmkit-relay and uvmkit-gcs. */
function guestImage(): { kernel: string; initrd: string } {
  const builder = fileURLToPath(new URL('../../../linux-guest/image/build.mjs', import.meta.url));
  const out = execFileSync(process.execPath, [builder], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 300_000,
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '') as { kernel: string; initrd: string };
}

// short: `<dir>/<runtimeId>-<service>.sock` must fit sockaddr_un
const dir = mkdtempSync('/tmp/gq-');
const work = mkdtempSync(join(tmpdir(), 'uvmkit-guest-qemu-'));
const MARKER = `uvmkit-marker-${process.pid}`;
let hcsd: HcsdProcess;
let image: { kernel: string; initrd: string };
let disk: string;

beforeAll(async () => {
  image = guestImage();
  const content = join(work, 'content');
  mkdirSync(content);
  writeFileSync(join(content, 'marker'), `${MARKER}\n`);
  disk = join(work, 'disk.ext4');
  execFileSync('mke2fs', ['-q', '-t', 'ext4', '-d', content, disk, '16M']);
  process.env.UVMKIT_HVSOCK_DIR = dir;
  hcsd = await startTestHcsd({ engine: 'qemu', stateDir: join(work, 'state'), timeoutMs: 30_000 });
  UtilityVM.use(lifetime);
  UtilityVM.use(scsi);
  UtilityVM.use(network);
  UtilityVM.use(plan9);
});
afterAll(async () => {
  await hcsd?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

function lcow(): Record<string, unknown> {
  return {
    SchemaVersion: { Major: 2, Minor: 1 },
    Owner: 'uvmkit-guest-qemu-test',
    ShouldTerminateOnLastHandleClosed: true,
    VirtualMachine: {
      StopOnReset: true,
      Chipset: {
        LinuxKernelDirect: { KernelFilePath: image.kernel, InitRdPath: image.initrd, KernelCmdLine: 'quiet' },
      },
      ComputeTopology: { Memory: { SizeInMB: 512 }, Processor: { Count: 1 } },
      Devices: { Scsi: { [ScsiControllerGuids[0]]: { Attachments: {} } } },
      GuestConnection: { UseVsock: true },
    },
  };
}

/** Run `script` in the guest: its stdout, stderr and exit code. */
async function sh(guest: Guest, script: string): Promise<{ stdout: string; stderr: string; code: number }> {
  const p: GuestProcess = await guest.execIntoUVM({
    CommandArgs: ['/bin/sh', '-c', script],
    CreateStdOutPipe: true,
    CreateStdErrPipe: true,
  });
  const text = async (s: NodeJS.ReadableStream | null | undefined): Promise<string> => {
    if (!s) return '';
    let out = '';
    for await (const chunk of s) out += chunk.toString();
    return out;
  };
  const [stdout, stderr, code] = await Promise.all([text(p.stdout), text(p.stderr), p.wait()]);
  await p.close();
  return { stdout, stderr, code };
}

describe('the real guest agent on the qemu engine', () => {
  it('connects, mounts the disk the host hot-added, runs processes, and unmounts', async () => {
    const vm = await UtilityVM.create(uniqueSystemId('gq'), lcow());
    const guest = new Guest(vm);
    try {
      await guest.prepareConnection();
      await vm.start();
      const caps = await guest.createConnection({ timeout: 200_000 });
      expect(caps.os).toBe('linux');
      expect(caps.protocolVersion).toBe(4);

      await vm.addSCSIDisk({ Type: 'VirtualDisk', Path: disk }, 0, 1);
      const mount = { MountPath: '/run/gq-disk', Controller: 0, Lun: 1, ReadOnly: true };
      await guest.addMappedVirtualDisk(mount, { timeout: 60_000 });
      const read = await sh(guest, 'cat /run/gq-disk/marker');
      expect(read).toEqual({ stdout: `${MARKER}\n`, stderr: '', code: 0 });

      await guest.removeMappedVirtualDisk(mount, { timeout: 60_000 });
      await vm.removeSCSIDisk(0, 1);
      const gone = await sh(
        guest,
        'test -e /run/gq-disk/marker && echo mounted; grep -c " /run/gq-disk " /proc/mounts; exit 0',
      );
      expect(gone.stdout).toBe('0\n');

      expect(await sh(guest, 'echo hi; exit 3')).toEqual({ stdout: 'hi\n', stderr: '', code: 3 });
    } finally {
      await guest.closeConnection().catch(() => {});
      await vm.terminate().catch(() => {});
      await vm.close();
    }
  });

  it('mounts a Plan 9 share and configures a NIC that reaches the gateway', async () => {
    const shared = join(work, 'share');
    mkdirSync(shared);
    writeFileSync(join(shared, 'hello.txt'), `from the host ${process.pid}\n`);
    const server = createServer((_req, res) => res.end(`gateway ${process.pid}\n`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const vm = await UtilityVM.create(uniqueSystemId('gq'), lcow());
    const guest = new Guest(vm);
    try {
      await guest.prepareConnection();
      await vm.start();
      await guest.createConnection({ timeout: 200_000 });

      const share = { Name: 'gqshare', AccessName: 'gqshare', Path: shared, Port: 564, Flags: 0 };
      await vm.addPlan9(share);
      const dirMount = { MountPath: '/run/gq-share', ShareName: 'gqshare', ReadOnly: true };
      await guest.addMappedDirectory(dirMount, { timeout: 60_000 });
      expect(await sh(guest, 'cat /run/gq-share/hello.txt')).toEqual({
        stdout: `from the host ${process.pid}\n`,
        stderr: '',
        code: 0,
      });
      await guest.removeMappedDirectory(dirMount, { timeout: 60_000 });
      expect((await sh(guest, 'grep -c " /run/gq-share " /proc/mounts; exit 0')).stdout).toBe('0\n');

      const nicId = 'e5b7c2a0-3f41-4d2e-9b8c-1a2b3c4d5e6f';
      const mac = '00-15-5D-52-C0-42';
      await vm.addNIC(nicId, { EndpointId: '1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b', MacAddress: mac });
      await guest.addNetworkInterface(
        {
          NamespaceID: '00000000-0000-0000-0000-000000000001',
          ID: nicId,
          MacAddress: mac,
          IPConfigs: [{ IPAddress: '10.0.2.15', PrefixLength: 24 }],
          Routes: [{ NextHop: '10.0.2.2', DestinationPrefix: '0.0.0.0/0' }],
        },
        { timeout: 60_000 },
      );
      // the gateway answers ping, and forwards a TCP connection to the host's loopback server
      // (busybox nc: Debian's static busybox wget crashes in this guest)
      const ping = await sh(guest, 'ping -c 1 -W 5 10.0.2.2 >/dev/null; echo ping=$?');
      expect(ping.stdout).toBe('ping=0\n');
      const got = await sh(guest, `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc 10.0.2.2 ${port}`);
      expect(got.code).toBe(0);
      expect(got.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(got.stdout.endsWith(`\r\n\r\ngateway ${process.pid}\n`)).toBe(true);
    } finally {
      server.close();
      await guest.closeConnection().catch(() => {});
      await vm.terminate().catch(() => {});
      await vm.close();
    }
  });
});
