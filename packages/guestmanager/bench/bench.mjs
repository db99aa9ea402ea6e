// Bridge bench: round trips per second and p50/p99 latency against hcsd's emulated guest agent,
// beside a raw echo over the same kind of socket (Unix stream, a child process peer) with
// frames of the same sizes, in the same run; process start → exit round trips and stdout
// throughput through a stdio relay; then memory per open guest connection.
// Run: pnpm --filter @uvmkit/guestmanager bench   (needs built dist of this package and deps)
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'gm-bench-'));
process.env.UVMKIT_HVSOCK_DIR = dir;

const { UtilityVM } = await import('@uvmkit/hcs-core');
const { lcowDocument, startTestHcsd, uniqueSystemId } = await import('@uvmkit/hcs-emulator/testing');
const { lifetime } = await import('@uvmkit/lifetime');
const { Bridge, Guest, RpcProc, encodeFrame, requestType, NULL_CONTAINER_ID, ZERO_GUID } = await import(
  '../dist/index.js'
);

const N = Number(process.env.BENCH_N ?? 4000);
const WARM = 300;
const CONNS = Number(process.env.BENCH_CONNS ?? 20);

function stats(lat) {
  const s = [...lat].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { p50: q(0.5), p99: q(0.99) };
}
const us = (ns) => Number(ns) / 1000;

const hcsd = await startTestHcsd();
UtilityVM.use(lifetime);

async function connectedGuest() {
  const vm = await UtilityVM.create(uniqueSystemId('bench'), lcowDocument());
  const guest = new Guest(vm);
  await guest.prepareConnection();
  await vm.start();
  await guest.createConnection({ timeout: 10_000 });
  return { vm, guest };
}

// --- bridge against the agent ---
const { vm, guest } = await connectedGuest();
const body = { ContainerId: NULL_CONTAINER_ID, ActivityId: ZERO_GUID };
const requestFrameSize = encodeFrame(requestType(RpcProc.DumpStacks), 0n, `${JSON.stringify(body)}\n`).length;
const sample = await guest.rpc(RpcProc.DumpStacks);
const responseFrameSize = 16 + Buffer.byteLength(JSON.stringify(sample));
for (let i = 0; i < WARM; i++) await guest.rpc(RpcProc.DumpStacks);

// --- raw echo peer: same socket kind (Unix stream to a child process), same frame sizes ---
const echoPath = join(dir, 'echo.sock');
const child = fork(new URL('./echo-server.mjs', import.meta.url), [echoPath, String(responseFrameSize)], {
  stdio: 'inherit',
});
await new Promise((r) => child.once('message', r));
const sock = connect(echoPath);
await new Promise((r) => sock.once('connect', r));
const req = Buffer.alloc(requestFrameSize, 0x20);
req.writeUInt32LE(requestType(RpcProc.DumpStacks), 0);
req.writeUInt32LE(requestFrameSize, 4);
let pending;
let inbuf = Buffer.alloc(0);
sock.on('data', (d) => {
  inbuf = inbuf.length === 0 ? d : Buffer.concat([inbuf, d]);
  while (inbuf.length >= 16 && inbuf.length >= inbuf.readUInt32LE(4)) {
    inbuf = inbuf.subarray(inbuf.readUInt32LE(4));
    const p = pending;
    pending = undefined;
    p?.();
  }
});
const echoOnce = () =>
  new Promise((r) => {
    pending = r;
    sock.write(req);
  });
for (let i = 0; i < WARM; i++) await echoOnce();

// Alternating rounds (bridge, echo, bridge, echo, …) so load changes hit both alike; the rate
// reported is the median over rounds, latencies are pooled.
const ROUNDS = 5;
const per = Math.ceil(N / ROUNDS);
const bridgeLat = [];
const echoLat = [];
const bridgeRates = [];
const echoRates = [];
async function round(fn, lat, rates) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < per; i++) {
    const a = process.hrtime.bigint();
    await fn();
    lat.push(us(process.hrtime.bigint() - a));
  }
  rates.push(per / (Number(process.hrtime.bigint() - t0) / 1e9));
}
// The same Bridge code against the canned echo peer: the host side's own cost, no agent work.
const peerSock = connect(echoPath);
await new Promise((r) => peerSock.once('connect', r));
const peerBridge = new Bridge(peerSock);
const peerLat = [];
const peerRates = [];
for (let i = 0; i < WARM; i++) await peerBridge.rpc(RpcProc.DumpStacks, body);
for (let r = 0; r < ROUNDS; r++) {
  await round(() => guest.rpc(RpcProc.DumpStacks), bridgeLat, bridgeRates);
  await round(echoOnce, echoLat, echoRates);
  await round(() => peerBridge.rpc(RpcProc.DumpStacks, body), peerLat, peerRates);
}
await peerBridge.close();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// 16 in flight
const t0 = process.hrtime.bigint();
let done = 0;
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (done < N) {
      done++;
      await guest.rpc(RpcProc.DumpStacks);
    }
  }),
);
const bridgeConcSecs = Number(process.hrtime.bigint() - t0) / 1e9;
sock.destroy();
child.disconnect();

// --- processes: start → exit round trip (ExecuteProcess with 3 stdio relays, WaitForProcess) ---
const PROCS = Number(process.env.BENCH_PROCS ?? 300);
const procLat = [];
const runTrue = async () => {
  const p = await guest.execIntoUVM({ CommandArgs: ['true'] });
  p.stdout.resume();
  p.stderr.resume();
  await p.wait();
  await p.close();
};
for (let i = 0; i < 20; i++) await runTrue();
const pt0 = process.hrtime.bigint();
for (let i = 0; i < PROCS; i++) {
  const a = process.hrtime.bigint();
  await runTrue();
  procLat.push(us(process.hrtime.bigint() - a));
}
const procRate = PROCS / (Number(process.hrtime.bigint() - pt0) / 1e9);

// --- stdout throughput through a stdio relay (the emulated `stream` command, backpressure honoured) ---
const STREAM_MB = Number(process.env.BENCH_STREAM_MB ?? 256);
const streamRuns = [];
for (let r = 0; r < 3; r++) {
  const p = await guest.execIntoUVM({ CommandArgs: ['stream', `${STREAM_MB}M`], CreateStdInPipe: false });
  const st0 = process.hrtime.bigint();
  let bytes = 0;
  for await (const chunk of p.stdout) bytes += chunk.length;
  const secs = Number(process.hrtime.bigint() - st0) / 1e9;
  await p.wait();
  await p.close();
  if (bytes !== STREAM_MB * 1024 * 1024) throw new Error(`stream: got ${bytes} bytes`);
  streamRuns.push(bytes / 1024 / 1024 / secs);
}

// --- memory per open connection ---
const gc = globalThis.gc ?? (() => {});
gc();
gc();
const before = process.memoryUsage();
const extra = [];
for (let i = 0; i < CONNS; i++) extra.push(await connectedGuest());
gc();
gc();
const after = process.memoryUsage();
const perConn = {
  heapKiB: (after.heapUsed - before.heapUsed) / CONNS / 1024,
  externalKiB: (after.external + after.arrayBuffers - before.external - before.arrayBuffers) / CONNS / 1024,
  rssKiB: (after.rss - before.rss) / CONNS / 1024,
};

const b = stats(bridgeLat);
const e = stats(echoLat);
const bridgeRate = median(bridgeRates);
const echoRate = median(echoRates);
console.log(
  `frames: request ${requestFrameSize} B, response ${responseFrameSize} B; ${ROUNDS}×${per} sequential round trips each, alternating; rates = median round`,
);
console.log(
  `bridge (DumpStacks vs hcsd agent): ${bridgeRate.toFixed(0)} rt/s  p50 ${b.p50.toFixed(1)} µs  p99 ${b.p99.toFixed(1)} µs`,
);
console.log(`bridge, 16 in flight:              ${(N / bridgeConcSecs).toFixed(0)} rt/s`);
console.log(
  `raw echo (same socket kind/sizes): ${echoRate.toFixed(0)} rt/s  p50 ${e.p50.toFixed(1)} µs  p99 ${e.p99.toFixed(1)} µs`,
);
const pb = stats(peerLat);
console.log(
  `bridge vs the echo peer (host-side cost only): ${median(peerRates).toFixed(0)} rt/s  p50 ${pb.p50.toFixed(1)} µs  p99 ${pb.p99.toFixed(1)} µs`,
);
console.log(`ratio bridge/echo: ${(bridgeRate / echoRate).toFixed(2)} (goal ≥ 0.5)`);
const pl = stats(procLat);
console.log(
  `process start → exit (execIntoUVM 'true' + wait + close, 3 stdio relays): ${procRate.toFixed(0)} /s  p50 ${(pl.p50 / 1000).toFixed(2)} ms  p99 ${(pl.p99 / 1000).toFixed(2)} ms (${PROCS} sequential)`,
);
console.log(
  `stdout throughput (${STREAM_MB} MiB from the emulated 'stream' command, 3 runs): ${streamRuns.map((x) => x.toFixed(0)).join(' / ')} MiB/s (median ${median(streamRuns).toFixed(0)})`,
);
console.log(
  `memory per open guest connection (host side, ${CONNS} conns${globalThis.gc ? '' : ', no --expose-gc'}): heap ${perConn.heapKiB.toFixed(1)} KiB, external+arrayBuffers ${perConn.externalKiB.toFixed(1)} KiB, rss ${perConn.rssKiB.toFixed(1)} KiB (includes the UtilityVM handle)`,
);

for (const x of [...extra, { vm, guest }]) {
  await x.guest.closeConnection();
  await x.vm.terminate();
  await x.vm.close();
}
await hcsd.stop();
rmSync(dir, { recursive: true, force: true });
