#!/usr/bin/env node
/**
 * hcs-core bench (run: `pnpm --filter @uvmkit/hcs-core bench`, after building hcs-core and
 * hcs-emulator). One hcsd; prints:
 *  1. GetProperties and Modify round trips/s and p50/p99 latency, sequential, for the TypeScript
 *     path (koffi → libcomputecore.so → hcsd) and for the emulator's C client
 *     (packages/hcs-emulator/bench/c-client.c, built here with gcc when present) + the ratio.
 *  2. Event-loop delay p99 (perf_hooks.monitorEventLoopDelay) while 1,000 operations are in flight.
 *  3. fs.readFile latency during that burst vs on an idle loop (thread-pool starvation check).
 * Options: --iterations N (default 3000), --rounds N (default 3; C and TS alternate, the median
 * round is reported), --inflight N (default 1000), --json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startHcsd } from '@uvmkit/hcs-emulator';
import { systemOf, UtilityVM } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const ITER = arg('iterations', 3000);
const INFLIGHT = arg('inflight', 1000);
const ROUNDS = arg('rounds', 3);
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

/**
 * Build (with the emulator's own build script) and run its C client against the same hcsd.
 * Returns `{ results: { 'getprops/callback': {rps, p50_us, p99_us, …}, … } }` or `{ unavailable }`.
 */
async function runCClient(socketPath) {
  const src = join(here, '../../hcs-emulator/bench/c-client.c');
  if (!existsSync(src))
    return { unavailable: `C client not found at ${src} (hook: it must print RESULT lines)` };
  let client;
  try {
    const { buildBench } = await import(join(here, '../../hcs-emulator/scripts/build-native.mjs'));
    client = buildBench();
  } catch (err) {
    return { unavailable: `building the C client failed: ${String(err?.message ?? err).slice(0, 400)}` };
  }
  const r = spawnSync(client, ['--iterations', String(ITER), '--burst', String(INFLIGHT)], {
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
    results[fields.mode === undefined ? fields.bench : `${fields.bench}/${fields.mode}`] = fields;
  }
  if (Object.keys(results).length === 0) {
    return {
      unavailable: `C client printed no RESULT lines (exit ${r.status}): ${(r.stderr ?? '').slice(0, 400)}`,
    };
  }
  return { results };
}

const hcsd = await startHcsd();
process.env.UVMKIT_HCSD_SOCKET = hcsd.socketPath;
const report = { iterations: ITER, inflight: INFLIGHT };
try {
  const id = `bench-${process.pid}`;
  const vm = await UtilityVM.create(id, config);
  const cs = systemOf(vm);
  await cs.start();

  // 1. round trips. hcsd is a JIT-compiled Node process: warm it (and this process) up first,
  //    then run the C client, then measure the TypeScript path, against the same daemon.
  const getProps = () => cs.getProperties();
  const modifyRaw = (i) =>
    cs.modify({ ResourcePath: 'VirtualMachine/ComputeTopology/Memory/SizeInMB', Settings: 1024 + (i % 64) });
  const modifyValidated = (i) =>
    vm.modify({ ResourcePath: 'VirtualMachine/ComputeTopology/Memory/SizeInMB', Settings: 1024 + (i % 64) });
  await timeSeq(ITER, getProps);
  await timeSeq(ITER, modifyRaw);
  // Alternate C and TS rounds (this 2-core VM is noisy); report the median round of each.
  const rounds = { c: [], ts: [] };
  for (let r = 0; r < ROUNDS; r++) {
    rounds.c.push(await runCClient(hcsd.socketPath));
    rounds.ts.push({
      getProperties: await timeSeq(ITER, getProps),
      modifyRaw: await timeSeq(ITER, modifyRaw),
      modifyValidated: await timeSeq(ITER, modifyValidated),
    });
  }
  const medianBy = (list, pick) => {
    const sorted = [...list].sort((a, b) => pick(a) - pick(b));
    return sorted[Math.floor(sorted.length / 2)];
  };
  report.ts = Object.fromEntries(
    Object.keys(rounds.ts[0]).map((k) => [
      k,
      medianBy(
        rounds.ts.map((t) => t[k]),
        (x) => x.p50us,
      ),
    ]),
  );
  if (rounds.c.some((c) => c.unavailable)) report.c = rounds.c.find((c) => c.unavailable);
  else {
    const keys = Object.keys(rounds.c[0].results);
    report.c = {
      results: Object.fromEntries(
        keys.map((k) => [
          k,
          medianBy(rounds.c.map((c) => c.results[k]).filter(Boolean), (x) => Number(x.p50_us ?? x.total_ms)),
        ]),
      ),
    };
  }
  report.rounds = ROUNDS;
  report.perRound = rounds;

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
} finally {
  await hcsd.stop();
}

if (JSON_OUT) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const f = (x) => (typeof x === 'number' ? x.toFixed(x < 10 ? 2 : 0) : String(x));
  console.log(
    `hcs-core bench (${ITER} sequential round trips each, median of ${ROUNDS} alternating C/TS rounds; koffi → libcomputecore.so → hcsd)`,
  );
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
    const ratio = (tsKey, cKey) => {
      const c = report.c.results[cKey];
      const ts = report.ts[tsKey];
      if (!c) return `no C result ${cKey}`;
      const r = { p50: ts.p50us / Number(c.p50_us), throughput: Number(c.rps) / ts.opsPerSec };
      report.ratios ??= {};
      report.ratios[`${tsKey}~${cKey}`] = r;
      return `p50 TS/C ${r.p50.toFixed(2)}×, throughput C/TS ${r.throughput.toFixed(2)}×`;
    };
    console.log(`  ratio GetProperties (vs C callback): ${ratio('getProperties', 'getprops/callback')}`);
    console.log(`  ratio GetProperties (vs C wait):     ${ratio('getProperties', 'getprops/wait')}`);
    console.log(`  ratio Modify (raw, vs C callback):   ${ratio('modifyRaw', 'modify/callback')}`);
    console.log(`  ratio Modify (validated, vs C cb):   ${ratio('modifyValidated', 'modify/callback')}`);
    console.log(`  ratio Modify (raw, vs C wait):       ${ratio('modifyRaw', 'modify/wait')}`);
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
