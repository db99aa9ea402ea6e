/**
 * Which accelerator QEMU gets: KVM when it is usable, TCG otherwise. `/dev/kvm` alone is not
 * enough (on a PVM host it exists, `KVM_CREATE_VM` succeeds, and a normal guest still dies:
 * qemu.md §2), so KVM also needs hardware virtualization in `/proc/cpuinfo` (vmx/svm) and a
 * QEMU that starts with `-accel kvm`. `UVMKIT_QEMU_ACCEL=kvm|tcg` overrides the probe.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import type { Accel } from './cmdline.js';

export interface AccelProbe {
  readonly accel: Accel;
  /** Why this accelerator (for logs and `Engine.description`). */
  readonly reason: string;
}

export function probeAccel(binary: string, env: NodeJS.ProcessEnv = process.env): AccelProbe {
  const forced = env.UVMKIT_QEMU_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return { accel: forced, reason: `UVMKIT_QEMU_ACCEL=${forced}` };
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { accel: 'tcg', reason: 'no usable /dev/kvm' };
  }
  let cpuinfo = '';
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return { accel: 'tcg', reason: '/proc/cpuinfo is unreadable' };
  }
  if (!/^flags\s*:.*\b(vmx|svm)\b/m.test(cpuinfo))
    return {
      accel: 'tcg',
      reason: '/dev/kvm exists but the CPU has no vmx/svm (nested PVM cannot run a stock guest kernel)',
    };
  const r = spawnSync(
    binary,
    [
      '-accel',
      'kvm',
      '-machine',
      'none',
      '-nodefaults',
      '-display',
      'none',
      '-S',
      '-monitor',
      'none',
      '-qmp',
      'stdio',
    ],
    {
      input: '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n',
      encoding: 'utf8',
      timeout: 10_000,
    },
  );
  if (r.status !== 0)
    return {
      accel: 'tcg',
      reason: `qemu -accel kvm failed: ${(r.stderr ?? '').trim().split('\n').pop() ?? r.status}`,
    };
  return { accel: 'kvm', reason: '/dev/kvm with vmx/svm and a QEMU that starts with -accel kvm' };
}
