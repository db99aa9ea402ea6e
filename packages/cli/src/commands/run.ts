/**
 * `uvmctl run ID`: create and start a Linux utility VM from a kernel/initrd pair, or from the
 * directory `pnpm guest-image` built (`vmlinux` + `initrd.cpio`), for hcsd's qemu engine (or any
 * HCS that boots `Chipset.LinuxKernelDirect`). The VM outlives uvmctl (`ShouldTerminateOnLastHandleClosed`
 * false); `uvmctl rm ID` ends it.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { UtilityVM } from '@uvmkit/hcs-core';
import { type ComputeSystem, ScsiControllerGuids } from '@uvmkit/hcs-schema';
import type { Cli } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import type { Result } from '../output.js';
import { intOption } from './vm.js';

/** Options of `run`. */
export interface RunOptions {
  image?: string;
  kernel?: string;
  initrd?: string;
  memory?: string;
  cpus?: string;
  cmdline?: string;
}

function file(option: string, path: string): string {
  const abs = isAbsolute(path) ? path : resolve(path);
  if (!existsSync(abs) || !statSync(abs).isFile()) {
    throw new CliError('InvalidOption', `${option}: ${abs} is not a file`, ExitCode.InvalidInput);
  }
  return abs;
}

/** The boot files: `--image DIR` or `--kernel` + `--initrd`. */
export function bootFiles(o: RunOptions): { kernel: string; initrd: string } {
  if (o.image !== undefined) {
    if (o.kernel !== undefined || o.initrd !== undefined) {
      throw new CliError('InvalidOption', 'give --image or --kernel/--initrd, not both', ExitCode.Usage);
    }
    return {
      kernel: file('--image', join(o.image, 'vmlinux')),
      initrd: file('--image', join(o.image, 'initrd.cpio')),
    };
  }
  if (o.kernel === undefined || o.initrd === undefined) {
    throw new CliError('InvalidOption', 'give --image DIR, or both --kernel and --initrd', ExitCode.Usage);
  }
  return { kernel: file('--kernel', o.kernel), initrd: file('--initrd', o.initrd) };
}

/** The create document `run` sends. */
export function runDocument(boot: { kernel: string; initrd: string }, o: RunOptions): ComputeSystem {
  return {
    SchemaVersion: { Major: 2, Minor: 1 },
    Owner: 'uvmctl',
    ShouldTerminateOnLastHandleClosed: false,
    VirtualMachine: {
      StopOnReset: true,
      Chipset: {
        LinuxKernelDirect: {
          KernelFilePath: boot.kernel,
          InitRdPath: boot.initrd,
          KernelCmdLine: o.cmdline ?? 'quiet',
        },
      },
      ComputeTopology: {
        Memory: { SizeInMB: o.memory === undefined ? 512 : intOption('--memory', o.memory, 64, 1 << 20) },
        Processor: { Count: o.cpus === undefined ? 1 : intOption('--cpus', o.cpus, 1, 64) },
      },
      Devices: { Scsi: { [ScsiControllerGuids[0] as string]: { Attachments: {} } } },
    },
  } as ComputeSystem;
}

/** `run ID …`: create, start, close the handle (the VM keeps running). */
export async function run(cli: Cli, id: string, o: RunOptions): Promise<Result> {
  const boot = bootFiles(o);
  const doc = runDocument(boot, o);
  const vm = await cli.progress(`creating ${id}`, UtilityVM.create(id, doc, cli.call()));
  try {
    await cli.progress(`starting ${id}`, vm.start(cli.call()));
  } catch (err) {
    await vm.terminate().catch(() => undefined);
    throw err;
  } finally {
    await vm.close();
  }
  return {
    json: { id, runtimeId: vm.runtimeId, state: 'Running', kernel: boot.kernel, initrd: boot.initrd },
    human: `started ${id} (runtime id ${vm.runtimeId}) from ${boot.kernel}`,
  };
}
