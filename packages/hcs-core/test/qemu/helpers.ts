/**
 * Helpers of the qemu project: the guest image (`pnpm guest-image`, cached), hcsd on the qemu
 * engine with its own state directory, an LCOW document for it, and the engine's inspection.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { startTestHcsd } from '@uvmkit/hcs-emulator/testing';
import { ScsiControllerGuids } from '@uvmkit/hcs-schema';

export const SCSI0 = ScsiControllerGuids[0];

const repo = fileURLToPath(new URL('../../../../', import.meta.url));

let image: { kernel: string; initrd: string } | undefined;

/** The guest kernel and initrd (built once, then reused from the cache). */
export function guestImage(): { kernel: string; initrd: string } {
  if (image) return image;
  const out = execFileSync(process.execPath, [join(repo, 'packages/linux-guest/image/build.mjs')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 300_000,
  });
  const last = out.trim().split('\n').pop() ?? '';
  image = JSON.parse(last) as { kernel: string; initrd: string };
  return image;
}

export interface QemuHcsd {
  readonly hcsd: HcsdProcess;
  readonly stateDir: string;
}

/** hcsd with `--engine qemu` and a fresh state directory. */
export async function startQemuHcsd(): Promise<QemuHcsd> {
  guestImage();
  const stateDir = mkdtempSync(join(tmpdir(), 'uvmkit-qemu-test-'));
  const hcsd = await startTestHcsd({ engine: 'qemu', stateDir, timeoutMs: 30_000 });
  return { hcsd, stateDir };
}

/** An LCOW document for the qemu engine (the built guest, 512 MB, 1 vCPU, one SCSI controller). */
export function qemuDocument(
  extra: {
    devices?: Record<string, unknown>;
    memoryMB?: number;
    kernel?: string;
    initrd?: string;
    restore?: string;
  } = {},
): Record<string, unknown> {
  const g = guestImage();
  return {
    SchemaVersion: { Major: 2, Minor: 1 },
    Owner: 'uvmkit-qemu-test',
    ShouldTerminateOnLastHandleClosed: true,
    VirtualMachine: {
      StopOnReset: true,
      Chipset: {
        LinuxKernelDirect: {
          KernelFilePath: extra.kernel ?? g.kernel,
          InitRdPath: extra.initrd ?? g.initrd,
          KernelCmdLine: 'quiet',
        },
      },
      ComputeTopology: { Memory: { SizeInMB: extra.memoryMB ?? 512 }, Processor: { Count: 1 } },
      Devices: extra.devices ?? { Scsi: { [SCSI0]: { Attachments: {} } }, VirtualPMem: { MaximumCount: 4 } },
      ...(extra.restore ? { RestoreState: { SaveStateFilePath: extra.restore } } : {}),
    },
  };
}

export interface QemuView {
  pid: number | null;
  running: boolean;
  accelerator: string;
  vmDir: string;
  log: string;
  status?: string;
  block?: { qdev: string; node: string | null; file: string | null }[];
  pci?: { id: string; bus: number; slot: number; port: string | null }[];
  placement: Record<string, string>;
  cgroup: Record<string, string> | null;
}

export function qemuView(hcsd: HcsdProcess, id: string): Promise<QemuView> {
  return hcsd.control.engine(id, 'qemu') as Promise<QemuView>;
}

export function qmp<T = unknown>(
  hcsd: HcsdProcess,
  id: string,
  command: string,
  args?: Record<string, unknown>,
): Promise<T> {
  return hcsd.control.engine(id, 'qemu', { command, ...(args ? { arguments: args } : {}) }) as Promise<T>;
}

export async function vmLog(hcsd: HcsdProcess, id: string): Promise<string> {
  return ((await hcsd.control.engine(id, 'log')) as { text: string }).text;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until the VM log matches `pattern` (a boot needs 3–60 s under TCG; 180 s means a hang). */
export async function waitLog(
  hcsd: HcsdProcess,
  id: string,
  pattern: RegExp,
  timeoutMs = 180_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await vmLog(hcsd, id);
    if (pattern.test(text)) return text;
    if (Date.now() > deadline)
      throw new Error(`VM log never matched ${pattern} within ${timeoutMs} ms; log:\n${text.slice(-3000)}`);
    await sleep(100);
  }
}

/** The guest's last `devices` report line (init prints one on every change). */
export function lastDevices(log: string): string {
  const lines = log.split('\n').filter((l) => l.startsWith('uvmkit-init: devices '));
  return lines[lines.length - 1] ?? '';
}

export async function waitDevices(
  hcsd: HcsdProcess,
  id: string,
  test: (line: string) => boolean,
  timeoutMs = 60_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = lastDevices(await vmLog(hcsd, id));
    if (test(line)) return line;
    if (Date.now() > deadline) throw new Error(`guest devices never matched; last report: ${line}`);
    await sleep(100);
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

export async function waitGone(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/** Pids of QEMU processes whose parent (or setpriv's parent) is `parent`. */
export function qemuChildren(parent: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (Number(fields[1]) === parent && comm.startsWith('qemu-system')) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

/** Every file and directory under `dir` (relative paths). */
export function listTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}
