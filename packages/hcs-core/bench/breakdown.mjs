#!/usr/bin/env node
/**
 * Where a TypeScript round trip spends its time (raw koffi calls, no Operation layer): the
 * synchronous submit, submit → completion callback entry on the JS thread (hcsd + shim reader +
 * dispatcher + koffi's hand-off to the event loop), and callback → promise continuation.
 * Run: node bench/breakdown.mjs (after building hcs-core and hcs-emulator).
 */
import { startHcsd } from '@uvmkit/hcs-emulator';
import { ComputeSystem } from '../dist/index.js';
import { loadNative } from '../dist/native/load.js';

const hcsd = await startHcsd();
process.env.UVMKIT_HCSD_SOCKET = hcsd.socketPath;
const cs = await ComputeSystem.create('raw-1', {
  SchemaVersion: { Major: 2, Minor: 1 },
  ShouldTerminateOnLastHandleClosed: true,
  VirtualMachine: {
    Chipset: { Uefi: {} },
    ComputeTopology: { Memory: { SizeInMB: 256 }, Processor: { Count: 1 } },
  },
});
await cs.start();
const n = await loadNative();
const out = [null];
await n.callAsync('HcsOpenComputeSystem', 'raw-1', 0x10000000, out);
const h = out[0];
let resolveCur, tcb;
const cb = n.register(() => {
  tcb = process.hrtime.bigint();
  const r = resolveCur;
  resolveCur = undefined;
  r();
}, n.types.completionPointer);
const doc = JSON.stringify({
  ResourcePath: 'VirtualMachine/ComputeTopology/Memory/SizeInMB',
  Settings: 1024,
});
async function one(acc) {
  const t0 = process.hrtime.bigint();
  const op = n.cc.HcsCreateOperation(1, cb);
  const p = new Promise((r) => {
    resolveCur = r;
  });
  n.cc.HcsModifyComputeSystem(h, op, doc, null);
  const t1 = process.hrtime.bigint();
  await p;
  const t2 = process.hrtime.bigint();
  n.cc.HcsCloseOperation(op);
  acc.submit.push(Number(t1 - t0) / 1e3);
  acc.toCb.push(Number(tcb - t1) / 1e3);
  acc.after.push(Number(t2 - tcb) / 1e3);
}
const med = (a) => {
  a.sort((x, y) => x - y);
  return a[a.length >> 1].toFixed(1);
};
for (let round = 0; round < 3; round++) {
  const acc = { submit: [], toCb: [], after: [] };
  for (let i = 0; i < 3000; i++) await one(acc);
  console.log('submit', med(acc.submit), 'submit→cb', med(acc.toCb), 'cb→continuation', med(acc.after));
}
await hcsd.stop();
process.exit(0);
