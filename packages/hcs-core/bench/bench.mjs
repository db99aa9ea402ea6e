#!/usr/bin/env node
/**
 * hcs-core bench (run: `pnpm --filter @uvmkit/hcs-core bench`, after building hcs-core and
 * hcs-emulator). One hcsd; prints:
 *  1. GetProperties and Modify round trips/s and p50/p99 latency, sequential, for the TypeScript
 *     path (koffi → libcomputecore.so → hcsd) and for the emulator's C client
 *     (packages/hcs-emulator/bench/c-client.c, built here with gcc when present) + the ratio.
 *  2. Event-loop delay p99 (perf_hooks.monitorEventLoopDelay) while 1,000 operations are in flight.
 *  3. fs.readFile latency during that burst vs on an idle loop (thread-pool starvation check).
 * Options: --iterations N (default 5000), --inflight N (default 1000), --json.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { shimLibraryPath, startHcsd } from '@uvmkit/hcs-emulator';
import { ComputeSystem, systemOf, UtilityVM } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const ITER = arg('iterations', 5000);
const INFLIGHT = arg('inflight', 1000);
const JSON_OUT = args.includes('--json');

const config = {
  SchemaVersion: { Major: 2, Minor: 1 },
  Owner: 'bench',
  ShouldTerminateOnLastHandleClosed: true,
  VirtualMachine: {
    Chipset: { Uefi: {} },
    ComputeTopology: { Memory: { SizeInMB: 1024 }, Processor: { Count: 2 } },
  },
};

function stats(samplesNs) {
  const s = Float64Array.from(samplesNs).sort();
  const pick = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))] / 1e3;
  const totalMs = samplesNs.reduce((a, b) => a + b, 0) / 1e6;
  return { n: s.length, opsPerSec: (s.length / totalMs) * 1000, p50us: pick(0.5), p99us: pick(0.99) };
}

async function timeSeq(n, fn) {
  for (let i = 0; i < Math.min(200, n); i++) await fn(i); // warm-up
  const samples = new Array(n);
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    samples[i] = Number(process.hrtime.bigint() - t);
  }
  return stats(samples);
}

/** Build and run the emulator's C client when it exists; returns { getProperties, modify } or a reason. */
function runCClient(socketPath, id) {
  const src = join(here, '../../hcs-emulator/bench/c-client.c');
  if (!existsSync(src))
    return { unavailable: `C client not found at ${src} (hook: drop it there; it must print RESULT lines)` };
  const out = join(mkdtempSync(join(tmpdir(), 'uvmkit-bench-')), 'c-client');
  const lib = shimLibraryPath();
  const include = join(here, '../../hcs-emulator/native');
  try {
    execFileSync(
      'gcc',
      [
        '-O2',
        '-std=c11',
        '-D_GNU_SOURCE',
        `-I${include}`,
        '-o',
        out,
        src,
        lib,
        `-Wl,-rpath,${dirname(lib)}`,
        '-lpthread',
      ],
      {
        stdio: 'pipe',
      },
    );
  } catch (err) {
    return { unavailable: `gcc failed: ${String(err.stderr ?? err.message).slice(0, 400)}` };
  }
  const r = spawnSync(out, ['--id', id, '--iterations', String(ITER)], {
    env: { ...process.env, UVMKIT_HCSD_SOCKET: socketPath },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const results = {};
  for (const line of (r.stdout ?? '').split('\n')) {
    if (!line.startsWith('RESULT ')) continue;
    const fields = Object.fromEntries(
      line
        .slice(7)
        .trim()
        .split(/\s+/)
        .map((kv) => kv.split('='))
        .filter((kv) => kv.length === 2),
    );
    const name = fields.op ?? fields.name ?? line.slice(7).split(/\s+/)[0];
    results[name] = fields;
  }
  if (Object.keys(results).length === 0) {
    return {
      unavailable: `C client printed no RESULT lines (exit ${r.status}): ${(r.stderr ?? '').slice(0, 400)}`,
    };
  }
  return { results, raw: r.stdout };
}

const hcsd = await startHcsd();
process.env.UVMKIT_HCSD_SOCKET = hcsd.socketPath;
const report = { iterations: ITER, inflight: INFLIGHT };
try {
  const id = `bench-${process.pid}`;
  const vm = await UtilityVM.create(id, config);
  const cs = systemOf(vm);
  await cs.start();

  // 1. round trips
  report.ts = {
    getProperties: await timeSeq(ITER, () => cs.getProperties()),
    modifyRaw: await timeSeq(ITER, (i) =>
      cs.modify({
        ResourcePath: 'VirtualMachine/ComputeTopology/Memory/SizeInMB',
        Settings: 1024 + (i % 64),
      }),
    ),
    modifyValidated: await timeSeq(ITER, (i) =>
      vm.modify({
        ResourcePath: 'VirtualMachine/ComputeTopology/Memory/SizeInMB',
        Settings: 1024 + (i % 64),
      }),
    ),
  };
  report.c = runCClient(hcsd.socketPath, id);

  // 3a. idle readFile latency
  const file = join(mkdtempSync(join(tmpdir(), 'uvmkit-bench-')), 'f.txt');
  writeFileSync(file, 'x'.repeat(4096));
  const readLatency = async (n) => {
    const s = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await readFile(file);
      s.push(performance.now() - t);
    }
    s.sort((a, b) => a - b);
    return { p50ms: s[Math.floor(s.length / 2)], maxMs: s[s.length - 1] };
  };
  const idleRead = await readLatency(50);

  // 2 + 3b. burst: INFLIGHT operations held in flight by hcsd for 500 ms each
  await hcsd.control.delay({ method: 'GetProperties', ms: 500, count: INFLIGHT });
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  const burst = Array.from({ length: INFLIGHT }, () => cs.getProperties());
  const submitMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 100)); // all submitted and held
  const pending = (await hcsd.control.pending()).length;
  const burstRead = await readLatency(50);
  await Promise.all(burst);
  const burstMs = performance.now() - t0;
  h.disable();
  report.burst = {
    operations: INFLIGHT,
    heldInHcsd: pending,
    submitMs,
    totalMs: burstMs,
    eventLoopDelayP99ms: h.percentile(99) / 1e6,
    eventLoopDelayMaxMs: h.max / 1e6,
    readFileIdle: idleRead,
    readFileDuringBurst: burstRead,
  };
  await hcsd.control.clearFaults();
  await cs.terminate();
  await vm.close();
  void ComputeSystem;
} finally {
  await hcsd.stop();
}

if (JSON_OUT) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const f = (x) => (typeof x === 'number' ? x.toFixed(x < 10 ? 2 : 0) : String(x));
  console.log(`hcs-core bench (${ITER} sequential round trips each; koffi → libcomputecore.so → hcsd)`);
  for (const [name, s] of Object.entries(report.ts)) {
    console.log(
      `  TS ${name.padEnd(16)} ${f(s.opsPerSec).padStart(7)} ops/s  p50 ${f(s.p50us)} µs  p99 ${f(s.p99us)} µs`,
    );
  }
  if (report.c.unavailable) {
    console.log(`  C  client: ${report.c.unavailable}`);
  } else {
    for (const [name, fields] of Object.entries(report.c.results)) {
      console.log(
        `  C  ${name.padEnd(16)} ${Object.entries(fields)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`,
      );
    }
    const ratio = (tsKey, cNames) => {
      const c = cNames.map((k) => report.c.results[k]).find(Boolean);
      const cp50 = c && Number(c.p50_us ?? c.p50us ?? c.p50);
      const cops = c && Number(c.ops_per_s ?? c.ops_s ?? c.opsPerSec ?? c.ops);
      const ts = report.ts[tsKey];
      if (!c) return `no C result for ${cNames.join('/')}`;
      return `p50 TS/C = ${(ts.p50us / cp50).toFixed(2)}×, throughput C/TS = ${(cops / ts.opsPerSec).toFixed(2)}×`;
    };
    console.log(
      `  ratio GetProperties: ${ratio('getProperties', ['GetProperties', 'getProperties', 'get_properties'])}`,
    );
    console.log(`  ratio Modify:        ${ratio('modifyRaw', ['Modify', 'modify'])}`);
  }
  const b = report.burst;
  console.log(
    `burst: ${b.operations} GetProperties in flight (${b.heldInHcsd} held by hcsd), called in ${f(b.submitMs)} ms, all done in ${f(b.totalMs)} ms`,
  );
  console.log(
    `  event-loop delay p99 ${f(b.eventLoopDelayP99ms)} ms (max ${f(b.eventLoopDelayMaxMs)} ms)  [goal < 10 ms]`,
  );
  console.log(
    `  fs.readFile p50 idle ${f(b.readFileIdle.p50ms)} ms vs during burst ${f(b.readFileDuringBurst.p50ms)} ms (max ${f(b.readFileIdle.maxMs)} / ${f(b.readFileDuringBurst.maxMs)} ms)`,
  );
}
void readFileSync;
