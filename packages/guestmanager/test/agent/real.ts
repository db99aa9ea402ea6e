/**
 * The real target of the shared agent suite: hcsd's qemu engine booting the guest image
 * (`pnpm guest-image`, cached: kernel + initramfs with uvmkit-relay and uvmkit-gcs), ONE VM per
 * test file booted and connected in `setup()`. Its processes are busybox's real programs; its
 * disk is a real ext4 image (a `marker` file inside), its share a real host directory.
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
import { network } from '@uvmkit/network';
import { plan9 } from '@uvmkit/plan9';
import { scsi } from '@uvmkit/scsi';
import { vpmem } from '@uvmkit/vpmem';
import type { BootListeners } from '../../src/boot.js';
import { Guest } from '../../src/guest.js';
import { type AgentTarget, recorder } from './target.js';

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

function lcow(image: { kernel: string; initrd: string }): Record<string, unknown> {
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
      Devices: { Scsi: { [ScsiControllerGuids[0]]: { Attachments: {} } }, VirtualPMem: { MaximumCount: 4 } },
      GuestConnection: { UseVsock: true },
    },
  };
}

/** The real target; `marker` is the content of `marker` on its disk. */
export function realAgent(): AgentTarget & { readonly hcsd: HcsdProcess; readonly marker: string } {
  // short: `<dir>/<runtimeId>-<service>.sock` must fit sockaddr_un
  const dir = mkdtempSync('/tmp/gq-');
  const work = mkdtempSync(join(tmpdir(), 'uvmkit-guest-qemu-'));
  const marker = `uvmkit-marker-${process.pid}\n`;
  const disk = join(work, 'disk.ext4');
  const pmem = join(work, 'pmem.ext4');
  let hcsd: HcsdProcess | undefined;
  let vm: UtilityVM | undefined;
  let guest: Guest | undefined;
  let boot: BootListeners | undefined;
  const { logger, records } = recorder();
  return {
    name: 'real',
    marker,
    get hcsd() {
      if (hcsd === undefined) throw new Error('setup() first');
      return hcsd;
    },
    get vm() {
      if (vm === undefined) throw new Error('setup() first');
      return vm;
    },
    get guest() {
      if (guest === undefined) throw new Error('setup() first');
      return guest;
    },
    get boot() {
      if (boot === undefined) throw new Error('setup() first');
      return boot;
    },
    logs: records,
    async setup() {
      const image = guestImage();
      const content = join(work, 'content');
      mkdirSync(content);
      writeFileSync(join(content, 'marker'), marker);
      execFileSync('mke2fs', ['-q', '-t', 'ext4', '-d', content, disk, '16M']);
      execFileSync('mke2fs', ['-q', '-t', 'ext4', '-d', content, pmem, '16M']); // a multiple of 2 MiB
      process.env.UVMKIT_HVSOCK_DIR = dir;
      hcsd = await startTestHcsd({ engine: 'qemu', stateDir: join(work, 'state'), timeoutMs: 30_000 });
      UtilityVM.use(lifetime);
      UtilityVM.use(scsi);
      UtilityVM.use(network);
      UtilityVM.use(plan9);
      UtilityVM.use(vpmem);
      vm = await UtilityVM.create(uniqueSystemId('gq'), lcow(image));
      guest = new Guest(vm, { logger });
      boot = await guest.prepareBootListeners();
      await guest.prepareConnection();
      await vm.start();
      await guest.createConnection({ timeout: 200_000 });
    },
    async teardown() {
      await guest?.closeConnection().catch(() => {});
      await vm?.terminate().catch(() => {});
      await vm?.close().catch(() => {});
      await hcsd?.stop();
      rmSync(dir, { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    },
    diskPath: () => disk,
    pmemPath: () => pmem,
    sharePath(name) {
      const p = join(work, 'shares', name);
      mkdirSync(p, { recursive: true });
      return p;
    },
    nic: {
      id: 'e5b7c2a0-3f41-4d2e-9b8c-1a2b3c4d5e6f',
      endpointId: '1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b',
      mac: '00-15-5D-52-C0-42',
    },
    deviceTimeout: 60_000,
    commands: {
      interleave: (n) => [
        '/bin/sh',
        '-c',
        `i=0; while [ $i -lt ${n} ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done`,
      ],
      consoleSize: () => ['stty', 'size'],
      // 16-byte lines `0123456789abcde\n`
      output: (bytes) => ({
        argv: ['/bin/sh', '-c', `yes 0123456789abcde | head -c ${bytes}`],
        byteAt: (i) => '0123456789abcde\n'.charCodeAt(i % 16),
      }),
    },
    differences: { nullContainerSignals: 'delivered' },
  };
}
