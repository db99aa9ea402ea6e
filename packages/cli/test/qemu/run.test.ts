/**
 * `uvmctl run` on hcsd's qemu engine: a real Linux guest (the image `pnpm guest-image` builds)
 * boots under QEMU; list shows it running; scsi add reaches the guest (its init reports sda); rm
 * ends QEMU.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type HcsdProcess, startHcsd } from '@uvmkit/hcs-emulator';
import { uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Run, uvmctl } from '../helpers.js';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
let hcsd: HcsdProcess;
let image: { kernel: string; initrd: string };
const stateDir = mkdtempSync(join(tmpdir(), 'uvmctl-qemu-'));
const run = (...args: string[]): Promise<Run> => uvmctl(hcsd.socketPath, args);

let lastLog = '';
async function engineLog(id: string): Promise<string> {
  lastLog = ((await hcsd.control.engine(id, 'log')) as { text: string }).text;
  return lastLog;
}

async function until(what: string, test: () => Promise<boolean>, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; engine log:\n${lastLog.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  const out = execFileSync(process.execPath, [join(repo, 'packages/linux-guest/image/build.mjs')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 300_000,
  });
  image = JSON.parse(out.trim().split('\n').pop() ?? '') as { kernel: string; initrd: string };
  hcsd = await startHcsd({ engine: 'qemu', stateDir, timeoutMs: 30_000 });
});
afterAll(async () => {
  await hcsd?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('uvmctl run (qemu engine)', () => {
  it('boots the guest image; list shows it; a SCSI disk reaches the guest; rm stops QEMU', async () => {
    const id = uniqueSystemId('cli-run');
    const r = await run('--json', 'run', id, '--image', dirname(image.kernel), '--memory', '384');
    expect(r.code).toBe(0);
    const sys = await hcsd.control.system(id);
    expect(JSON.parse(r.stdout)).toEqual({
      id,
      runtimeId: sys.runtimeId,
      state: 'Running',
      kernel: image.kernel,
      initrd: image.initrd,
    });
    expect(sys.config).toMatchObject({
      ShouldTerminateOnLastHandleClosed: false,
      VirtualMachine: {
        Chipset: {
          LinuxKernelDirect: {
            KernelFilePath: image.kernel,
            InitRdPath: image.initrd,
            KernelCmdLine: 'quiet',
          },
        },
        ComputeTopology: { Memory: { SizeInMB: 384 }, Processor: { Count: 1 } },
      },
    });
    await until('the guest READY marker', async () => (await engineLog(id)).includes('uvmkit-init: READY'));
    const view = (await hcsd.control.engine(id, 'qemu')) as { pid: number };
    expect(view.pid).toBeGreaterThan(0);
    const listed = JSON.parse((await run('--json', 'list')).stdout) as { Id: string; State: string }[];
    expect(listed.find((s) => s.Id === id)?.State).toBe('Running');

    const disk = join(stateDir, 'disk.img');
    execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', disk, '16M']);
    expect((await run('scsi', 'add', id, '--controller', '0', '--lun', '1', '--path', disk)).code).toBe(0);
    // The guest's init reports its devices whenever they change: sda appears.
    await until('sda in the guest', async () =>
      /\nuvmkit-init: devices block=[^ ]*\bsda,/.test(await engineLog(id)),
    );

    expect(await run('rm', id)).toEqual({ code: 0, stdout: `removed ${id}\n`, stderr: '' });
    expect((await hcsd.control.systems()).some((s) => s.id === id)).toBe(false);
    // QEMU is gone: signal 0 to its pid fails.
    await until('QEMU to exit', async () => {
      try {
        process.kill(view.pid, 0);
        return false;
      } catch {
        return true;
      }
    });
  });

  it('refuses missing boot files (exit 4) and a half-given pair (exit 2)', async () => {
    const missing = await run('run', 'x', '--image', '/nonexistent');
    expect(missing).toEqual({
      code: 4,
      stdout: '',
      stderr: 'uvmctl: --image: /nonexistent/vmlinux is not a file\n',
    });
    const half = await run('run', 'x', '--kernel', image.kernel);
    expect(half).toEqual({
      code: 2,
      stdout: '',
      stderr: 'uvmctl: give --image DIR, or both --kernel and --initrd\n',
    });
  });
});
