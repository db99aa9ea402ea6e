#!/usr/bin/env node
// Modify round trips through a manager (scsi: hot-add then hot-remove a disk), TypeScript → koffi →
// libcomputecore → hcsd, for one VM and for 50 VMs in parallel. Usage: node bench/modify.mjs [--json]
import { performance } from 'node:perf_hooks';
import { UtilityVM } from '@uvmkit/hcs-core';
import { startHcsd } from '@uvmkit/hcs-emulator';
import { lcowDocument } from '@uvmkit/hcs-emulator/testing';
import { lifetime } from '@uvmkit/lifetime';
import { scsi } from '@uvmkit/scsi';

const json = process.argv.includes('--json');
const PER_VM = { one: 4000, fifty: 200 }; // modify calls per VM (half adds, half removes)

const hcsd = await startHcsd();
process.env.UVMKIT_HCSD_SOCKET = hcsd.socketPath;
UtilityVM.use(lifetime);
UtilityVM.use(scsi);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Sequential add/remove pairs on one VM; returns per-call latencies in µs. */
async function loop(vm, calls) {
  const lat = [];
  const disk = { Type: 'VirtualDisk', Path: 'C:\\bench\\disk.vhdx' };
  for (let i = 0; i < calls / 2; i++) {
    let t = performance.now();
    await vm.addSCSIDisk(disk, 0, 1);
    lat.push((performance.now() - t) * 1000);
    t = performance.now();
    await vm.removeSCSIDisk(0, 1);
    lat.push((performance.now() - t) * 1000);
  }
  return lat;
}

async function scenario(name, vms, calls) {
  const machines = [];
  for (let i = 0; i < vms; i++) {
    const vm = await UtilityVM.create(`bench-${process.pid}-${name}-${i}`, lcowDocument({ owner: 'bench' }));
    await vm.start();
    machines.push(vm);
  }
  await Promise.all(machines.map((vm) => loop(vm, 100))); // warm-up
  const t0 = performance.now();
  const lat = (await Promise.all(machines.map((vm) => loop(vm, calls)))).flat().sort((a, b) => a - b);
  const seconds = (performance.now() - t0) / 1000;
  for (const vm of machines) {
    await vm.terminate();
    await vm.close();
  }
  return {
    scenario: name,
    vms,
    calls: lat.length,
    rps: Math.round(lat.length / seconds),
    p50_us: Math.round(percentile(lat, 50)),
    p99_us: Math.round(percentile(lat, 99)),
  };
}

try {
  const results = [await scenario('one-vm', 1, PER_VM.one), await scenario('fifty-vms', 50, PER_VM.fifty)];
  if (json) console.log(JSON.stringify(results));
  else {
    console.log('Modify round trips through @uvmkit/scsi (add + remove a disk), TS → shim → hcsd');
    for (const r of results) {
      console.log(
        `  ${r.scenario.padEnd(10)} ${String(r.vms).padStart(2)} VM(s)  ${String(r.calls).padStart(6)} calls  ` +
          `${String(r.rps).padStart(6)} calls/s  p50 ${r.p50_us} µs  p99 ${r.p99_us} µs`,
      );
    }
  }
} finally {
  await hcsd.stop();
}
