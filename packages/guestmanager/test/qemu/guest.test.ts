/**
 * End to end on hcsd's qemu engine with the REAL guest agent (uvmkit-gcs, dialling the host's GCS
 * listener through the HvSocket relay), through the public API only: create → prepare → start →
 * connected (Negotiate v4) → addSCSIDisk → addMappedVirtualDisk → a process in the guest reads the
 * marker file from that disk (stdout, exit code 0) → remove both → the guest no longer sees it →
 * `/bin/sh -c "echo hi; exit 3"` gives `hi` and 3 → terminate.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UtilityVM } from '@uvmkit/hcs-core';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { startTestHcsd, uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { ScsiControllerGuids } from '@uvmkit/hcs-schema';
import { lifetime } from '@uvmkit/lifetime';
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
});
