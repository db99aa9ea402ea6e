#!/usr/bin/env node
/**
 * The uvmkit demo: one utility VM's life on the embedded HCS emulator.
 *
 * It starts hcsd itself (unless `UVMKIT_HCSD_SOCKET` names a running one and `--use-running` is
 * given), creates a UVM from an LCOW-style document, starts it, prints its properties, hot-adds a
 * NIC, a SCSI disk, a VPMem device, a Plan 9 share, a VSMB share and an HvSocket service, updates
 * CPU limits and memory, prints what hcsd holds and removes them again; then it pauses, saves,
 * resumes, terminates, prints the exit status and closes everything.
 *
 * `--engine qemu` runs the story on a real VM instead (`./qemu.ts`).
 */
import { type HcsError, isHcsError, type Logger, UtilityVM } from '@uvmkit/hcs-core';
import { type HcsdProcess, startHcsd } from '@uvmkit/hcs-emulator';
import { lcowDocument } from '@uvmkit/hcs-emulator/testing';
import { lifetime } from '@uvmkit/lifetime';
import { network } from '@uvmkit/network';
import { plan9 } from '@uvmkit/plan9';
import { resources } from '@uvmkit/resources';
import { scsi } from '@uvmkit/scsi';
import { vmsocket } from '@uvmkit/vmsocket';
import { vpmem } from '@uvmkit/vpmem';
import { vsmb } from '@uvmkit/vsmb';
import { hotAdds, removals } from './devices.js';
import { qemuDemo } from './qemu.js';

const verbose = process.argv.includes('--verbose');
const useRunning = process.argv.includes('--use-running');

const logger: Logger = {
  debug: (msg, fields) => verbose && console.log(`    · ${msg}`, fields ?? ''),
  info: (msg, fields) => verbose && console.log(`    · ${msg}`, fields ?? ''),
  warn: (msg, fields) => console.warn(`    ! ${msg}`, fields ?? ''),
  error: (msg, fields) => console.error(`    ✗ ${msg}`, fields ?? ''),
};

function step(title: string): void {
  console.log(`\n▶ ${title}`);
}

function show(label: string, value: unknown): void {
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  console.log(`  ${label}: ${text.replaceAll('\n', '\n  ')}`);
}

/** Print the VM's device table as hcsd holds it (its inspection API), one line per non-empty kind. */
async function showDevices(hcsd: HcsdProcess, id: string, title: string): Promise<void> {
  const { devices } = await hcsd.control.system(id);
  console.log(`  ${title}:`);
  for (const [kind, value] of Object.entries(devices)) {
    const empty =
      value === null ||
      (typeof value === 'object' &&
        Object.values(value).every(
          (v) => typeof v === 'object' && v !== null && Object.keys(v).length === 0,
        ));
    if (!empty) console.log(`    ${kind}: ${JSON.stringify(value)}`);
  }
}

async function main(): Promise<void> {
  const signal = AbortSignal.timeout(60_000);
  let hcsd: HcsdProcess | undefined;
  if (!useRunning) {
    step('Starting the embedded HCS emulator (hcsd)');
    hcsd = await startHcsd({ signal });
    process.env.UVMKIT_HCSD_SOCKET = hcsd.socketPath;
    show('hcsd', `pid ${hcsd.pid}, socket ${hcsd.socketPath}`);
  }
  try {
    for (const plugin of [lifetime, network, scsi, vpmem, plan9, vsmb, vmsocket, resources]) {
      UtilityVM.use(plugin);
    }
    const id = `uvmkit-demo-${process.pid}`;

    step(`Creating utility VM "${id}" from an LCOW document`);
    await using vm = await UtilityVM.create(id, lcowDocument({ owner: 'uvmkit-demo' }), { signal, logger });
    show('runtime id', vm.runtimeId);
    vm.onExit((status) => show('exit event', status));

    step('Starting it');
    await vm.start({ signal });
    show('started at', vm.startedTime()?.toISOString() ?? '?');

    step('Properties (V2: Memory, Statistics)');
    const props = await vm.properties(['Memory', 'Statistics'], { signal });
    show('State', props.State);
    show('SystemType', props.SystemType);
    show('RuntimeOsType', props.RuntimeOsType);
    show('Owner', props.Owner);
    show('Memory', props.Memory);
    show('Statistics', props.Statistics);

    step('Hot-adding devices (one per resource manager)');
    for (const { title, run } of hotAdds) {
      await run(vm, signal);
      console.log(`  + ${title}`);
    }
    if (hcsd !== undefined) await showDevices(hcsd, id, 'What hcsd now holds for the VM');

    step('Removing them again');
    for (const { title, run } of removals) {
      await run(vm, signal);
      console.log(`  - ${title}`);
    }
    if (hcsd !== undefined) await showDevices(hcsd, id, 'What hcsd holds after the removals');

    step('Pausing');
    await vm.pause({ SuspensionLevel: 'Suspend', HostedNotification: { Reason: 'Save' } }, { signal });
    show('State', (await vm.properties([], { signal })).State);

    step('Saving the paused VM to a file');
    await vm.save({ SaveType: 'ToFile', SaveStateFilePath: '/tmp/uvmkit-demo.vmrs' }, { signal });
    show('State', (await vm.properties([], { signal })).State);

    step('Resuming');
    await vm.resume({ signal });
    show('State', (await vm.properties([], { signal })).State);

    step('Terminating and waiting for the exit');
    const status = await vm.terminate({ signal });
    show('exit status', status);
    show('stopped at', vm.stoppedTime()?.toISOString() ?? '?');
    show('exit error', vm.exitError() ?? 'none');

    step('Closing the VM handle');
  } finally {
    if (hcsd !== undefined) {
      const clients = await hcsd.control.clients();
      show(
        'open handles left in hcsd',
        clients.reduce((n, c) => n + c.handles.length, 0),
      );
      step('Stopping hcsd');
      await hcsd.stop();
    }
  }
  console.log('\nDone.');
}

const argv = process.argv.slice(2);
const engineAt = argv.indexOf('--engine');
const engine = engineAt >= 0 ? argv[engineAt + 1] : argv.find((a) => a.startsWith('--engine='))?.slice(9);

(engine === 'qemu' ? qemuDemo() : main()).catch((err: unknown) => {
  if (isHcsError(err)) {
    const e = err as HcsError;
    console.error(`\n✗ ${e.message} (code ${e.code}, hresult ${e.hresult?.toString(16) ?? '-'})`);
  } else {
    console.error('\n✗', err);
  }
  process.exitCode = 1;
});
