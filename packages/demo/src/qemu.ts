/**
 * `pnpm demo --engine qemu`: the demo's story on a real VM. hcsd runs with the qemu engine; the
 * guest is the image `pnpm guest-image` builds. Boot, hot-add a SCSI disk (a small ext4 image made
 * here with `mke2fs -d`, holding a marker file), a NIC and a Plan 9 share (each until the guest
 * reports the device; for the disk, until the guest has read the marker), change the memory (until the balloon got there), pause/resume, save,
 * terminate, with each step's time. The last line is one JSON object:
 * `{"engine":"qemu","ok":…,"steps":{…ms…},"marker":"…"}`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UtilityVM } from '@uvmkit/hcs-core';
import { type HcsdProcess, startHcsd } from '@uvmkit/hcs-emulator';
import { ScsiControllerGuids } from '@uvmkit/hcs-schema';
import { lifetime } from '@uvmkit/lifetime';
import { network } from '@uvmkit/network';
import { plan9 } from '@uvmkit/plan9';
import { resources } from '@uvmkit/resources';
import { scsi } from '@uvmkit/scsi';

const NIC_ID = '7a3f12c4-5b6d-4e8f-9a0b-1c2d3e4f5a6b';
const ENDPOINT_ID = 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function guestImage(): { kernel: string; initrd: string } {
  const builder = fileURLToPath(new URL('../../linux-guest/image/build.mjs', import.meta.url));
  const out = execFileSync(process.execPath, [builder], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as { kernel: string; initrd: string };
}

async function log(hcsd: HcsdProcess, id: string): Promise<string> {
  return ((await hcsd.control.engine(id, 'log')) as { text: string }).text;
}

/** Wait until the guest's latest device report (or the log) satisfies `test`. */
async function until(what: string, test: () => Promise<boolean>, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

function lastDevices(text: string): string {
  const lines = text.split('\n').filter((l) => l.startsWith('uvmkit-init: devices '));
  return lines[lines.length - 1] ?? '';
}

export async function qemuDemo(): Promise<void> {
  const steps: Record<string, number> = {};
  const marker = `uvmkit-marker-${process.pid}-${Date.now()}`;
  const scratch = mkdtempSync(join(tmpdir(), 'uvmkit-demo-qemu-'));
  let ok = false;
  let hcsd: HcsdProcess | undefined;
  const time = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const v = await fn();
    steps[name] = Math.round(performance.now() - t0);
    console.log(`  ${name}: ${steps[name]} ms`);
    return v;
  };
  try {
    console.log('▶ Guest image (pnpm guest-image)');
    const image = guestImage();
    const content = join(scratch, 'disk-content');
    mkdirSync(content);
    writeFileSync(join(content, 'marker'), `${marker}\n`);
    const disk = join(scratch, 'disk.img');
    execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-d', content, disk, '16M']);
    const share = join(scratch, 'share');
    mkdirSync(share);
    writeFileSync(join(share, 'hello'), 'from the host\n');

    console.log('▶ hcsd --engine qemu');
    hcsd = await startHcsd({ engine: 'qemu', stateDir: join(scratch, 'hcsd'), timeoutMs: 30_000 });
    process.env.UVMKIT_HCSD_SOCKET = hcsd.socketPath;
    for (const plugin of [lifetime, network, scsi, plan9, resources]) UtilityVM.use(plugin);
    const h = hcsd;

    const id = `uvmkit-demo-qemu-${process.pid}`;
    const doc = {
      SchemaVersion: { Major: 2, Minor: 1 },
      Owner: 'uvmkit-demo',
      ShouldTerminateOnLastHandleClosed: true,
      VirtualMachine: {
        StopOnReset: true,
        Chipset: {
          LinuxKernelDirect: {
            KernelFilePath: image.kernel,
            InitRdPath: image.initrd,
            KernelCmdLine: 'quiet',
          },
        },
        ComputeTopology: { Memory: { SizeInMB: 512 }, Processor: { Count: 1 } },
        Devices: { Scsi: { [ScsiControllerGuids[0]]: { Attachments: {} } } },
      },
    };
    console.log(`▶ Utility VM ${id}`);
    await using vm = await time('create', () => UtilityVM.create(id, doc));
    await time('start', () => vm.start());
    await time('boot', () =>
      until('the guest READY marker', async () => (await log(h, id)).includes('uvmkit-init: READY')),
    );
    const view = (await h.control.engine(id, 'qemu')) as { pid: number; accelerator: string };
    console.log(`  QEMU pid ${view.pid}, accelerator ${view.accelerator}`);

    await time('scsiAdd', async () => {
      await vm.addSCSIDisk({ Type: 'VirtualDisk', Path: disk }, 0, 1);
      await until('the guest uevent for sda', async () =>
        (await log(h, id)).includes('uvmkit-init: uevent add sda'),
      );
    });
    await time('nicAdd', async () => {
      await vm.addNIC(NIC_ID, { EndpointId: ENDPOINT_ID, MacAddress: '00-15-5D-52-C0-01' });
      await until('eth0 in the guest', async () => lastDevices(await log(h, id)).includes('net=eth0,'));
    });
    const share9p = { Name: 'hostshare', AccessName: 'hostshare', Path: share, Port: 564, Flags: 0 };
    await time('shareAdd', async () => {
      await vm.addPlan9(share9p);
      await until('the 9p tag in the guest', async () =>
        lastDevices(await log(h, id)).includes('9p=hostshare,'),
      );
    });
    await time('memory', async () => {
      await vm.updateMemory(384);
      await until('the balloon at 384 MB', async () => {
        const b = (await h.control.engine(id, 'qemu', { command: 'query-balloon' })) as { actual: number };
        return b.actual === 384 * 1024 * 1024;
      });
    });
    // A Plan 9 share blocks the save (QEMU refuses to migrate an exported path): detach it first.
    await time('shareRemove', () => vm.removePlan9(share9p));
    await time('pause', () => vm.pause());
    await time('resume', () => vm.resume());
    const stateFile = join(scratch, 'vm.state');
    await time('save', async () => {
      await vm.pause();
      await vm.save({ SaveType: 'ToFile', SaveStateFilePath: stateFile });
    });
    console.log(`  saved ${Math.round(statSync(stateFile).size / 1048576)} MB to ${stateFile}`);
    const status = await time('terminate', () => vm.terminate());
    console.log(`  exit: ${JSON.stringify(status)}`);
    ok = status.ExitType === 'ForcedExit';
  } finally {
    await hcsd?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ engine: 'qemu', ok, steps, marker }));
  if (!ok) process.exitCode = 1;
}
