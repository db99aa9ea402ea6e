/**
 * Processor limits for a QEMU process through a cgroup (qemu.md §4: no vCPU hot-plug under TCG).
 * cgroup v1 `cpu` controller at /sys/fs/cgroup/cpu (cpu.cfs_quota_us, cpu.shares), else cgroup v2
 * (cpu.max, cpu.weight) at /sys/fs/cgroup when its `cpu` controller is enabled. HCS `Limit` is in
 * 1/100 of a percent of the VM's processors (10000 = all of them); `Weight` 0…10000 (100 default).
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail, HR } from '../../errors.js';

const PERIOD_US = 100_000;

type Flavour = { version: 1; root: string } | { version: 2; root: string };

function detect(): Flavour | undefined {
  const v1 = '/sys/fs/cgroup/cpu';
  if (existsSync(join(v1, 'cpu.cfs_quota_us'))) return { version: 1, root: v1 };
  const v2 = '/sys/fs/cgroup';
  try {
    if (readFileSync(join(v2, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('cpu'))
      return { version: 2, root: v2 };
  } catch {
    // no v2 cpu controller
  }
  return undefined;
}

export class CpuLimiter {
  readonly #name: string;
  #dir: string | undefined;
  #flavour: Flavour | undefined;

  constructor(name: string) {
    this.#name = name;
  }

  get path(): string | undefined {
    return this.#dir;
  }

  /** Apply `limit` (1…10000) and/or `weight` to `pid` running `processors` vCPUs. */
  apply(pid: number, processors: number, limit: number | undefined, weight: number | undefined): void {
    this.#flavour ??= detect();
    const f = this.#flavour;
    if (!f)
      fail(
        HR.ERROR_NOT_SUPPORTED,
        'Processor limits: no writable cgroup cpu controller on this host (v1 /sys/fs/cgroup/cpu or v2 cpu.max)',
      );
    try {
      if (!this.#dir) {
        const dir = join(f.root, `uvmkit-${this.#name}`);
        mkdirSync(dir, { recursive: true });
        this.#dir = dir;
        writeFileSync(join(dir, 'cgroup.procs'), String(pid));
      }
      const dir = this.#dir;
      if (limit !== undefined) {
        const quota =
          limit >= 10000 ? -1 : Math.max(1000, Math.round((PERIOD_US * processors * limit) / 10000));
        if (f.version === 1) {
          writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
          writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quota));
        } else writeFileSync(join(dir, 'cpu.max'), `${quota < 0 ? 'max' : quota} ${PERIOD_US}`);
      }
      if (weight !== undefined) {
        const w = Math.max(1, Math.min(10000, weight));
        if (f.version === 1)
          writeFileSync(join(dir, 'cpu.shares'), String(Math.max(2, Math.round((w * 1024) / 100))));
        else writeFileSync(join(dir, 'cpu.weight'), String(w));
      }
    } catch (e) {
      if ((e as { code?: string }).code === 'HcsdFailure') throw e;
      fail(HR.ERROR_ACCESS_DENIED, `Processor limits: cgroup write failed: ${(e as Error).message}`);
    }
  }

  /** What the cgroup holds now (inspection). */
  read(): Record<string, string> | undefined {
    if (!this.#dir || !this.#flavour) return undefined;
    const files =
      this.#flavour.version === 1
        ? ['cpu.cfs_period_us', 'cpu.cfs_quota_us', 'cpu.shares', 'cgroup.procs']
        : ['cpu.max', 'cpu.weight', 'cgroup.procs'];
    const out: Record<string, string> = {};
    for (const f of files) {
      try {
        out[f] = readFileSync(join(this.#dir, f), 'utf8').trim();
      } catch {
        // skip
      }
    }
    return out;
  }

  /** Remove the cgroup (its process must have exited). */
  remove(): void {
    if (!this.#dir) return;
    try {
      rmdirSync(this.#dir);
    } catch {
      // still busy or already gone
    }
    this.#dir = undefined;
  }
}
