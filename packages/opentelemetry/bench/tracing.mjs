#!/usr/bin/env node
/**
 * The cost of tracing (run: `pnpm --filter @uvmkit/opentelemetry bench`, after a build).
 *  1. The hook alone, nobody subscribed: `traced(kind, start, fn)` vs `fn()` (ns per call).
 *  2. Modify round trips through hcsd (koffi → shim → hcsd), in alternating rounds: nobody
 *     subscribed (A, twice per cycle: the A/A spread is the noise), and with `instrument()` on a
 *     tracer provider without processors (B: the cost of building spans).
 * Options: --iterations N (Modify calls per round, default 2000), --rounds N (default 5).
 */
import { performance } from 'node:perf_hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { systemOf, TracingChannels, UtilityVM } from '@uvmkit/hcs-core';
import { traced } from '@uvmkit/hcs-core/manager';
import { startHcsd } from '@uvmkit/hcs-emulator';
import { instrument } from '../dist/index.js';

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const ITER = arg('iterations', 2000);
const ROUNDS = arg('rounds', 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// 1. The hook alone (synchronous part: without subscribers `traced` returns `fn()` itself).
const settled = Promise.resolve(1);
const fn = () => settled;
const start = { operation: 'bench', vmId: 'v' };
let sink;
function loop(n, call) {
  const t = performance.now();
  for (let i = 0; i < n; i++) sink = call();
  return ((performance.now() - t) * 1e6) / n;
}
const direct = [];
const hooked = [];
for (let r = 0; r < ROUNDS; r++) {
  direct.push(loop(2_000_000, fn));
  hooked.push(loop(2_000_000, () => traced(TracingChannels.modify, start, fn)));
}
void sink;
console.log(
  `hook, no subscriber: direct ${median(direct).toFixed(1)} ns/call, traced() ${median(hooked).toFixed(1)} ns/call ` +
    `(+${(median(hooked) - median(direct)).toFixed(1)} ns)`,
);

// 2. Modify round trips.
const hcsd = await startHcsd();
process.env.UVMKIT_HCSD_SOCKET = hcsd.socketPath;
try {
  const vm = await UtilityVM.create('bench-tracing', {
    SchemaVersion: { Major: 2, Minor: 1 },
    ShouldTerminateOnLastHandleClosed: true,
    VirtualMachine: {
      Chipset: { Uefi: {} },
      ComputeTopology: { Memory: { SizeInMB: 1024 }, Processor: { Count: 2 } },
    },
  });
  await systemOf(vm).start();
  const request = (i) => ({
    ResourcePath: 'VirtualMachine/ComputeTopology/Memory/SizeInMB',
    Settings: 1024 + (i % 2),
  });
  const round = async () => {
    const t = performance.now();
    for (let i = 0; i < ITER; i++) await vm.modify(request(i));
    return ((performance.now() - t) * 1000) / ITER; // µs per call
  };
  for (let i = 0; i < 200; i++) await vm.modify(request(i)); // warm-up
  const a1 = [];
  const a2 = [];
  const b = [];
  const provider = new BasicTracerProvider();
  for (let r = 0; r < ROUNDS; r++) {
    a1.push(await round());
    const inst = instrument({ tracerProvider: provider });
    b.push(await round());
    inst.disable();
    a2.push(await round());
  }
  await vm.close();
  const fmt = (xs) => `${median(xs).toFixed(1)} µs (rounds ${xs.map((x) => x.toFixed(0)).join(' ')})`;
  console.log(`Modify, no subscriber (A):     ${fmt(a1)}`);
  console.log(`Modify, no subscriber (A'):    ${fmt(a2)}`);
  console.log(`Modify, OpenTelemetry spans:   ${fmt(b)}`);
  console.log(
    `A/A' spread ${((Math.abs(median(a1) - median(a2)) / median(a1)) * 100).toFixed(1)} % (noise); ` +
      `hook cost per Modify (2 hooks) ≈ ${((((median(hooked) - median(direct)) * 2) / 1000 / median(a1)) * 100).toFixed(3)} % of a round trip; ` +
      `spans +${((median(b) / median(a1) - 1) * 100).toFixed(1)} %`,
  );
} finally {
  await hcsd.stop();
}
