#!/usr/bin/env node
/**
 * Real guest agent bench (part of `pnpm bench`; skipped when QEMU is not installed), one image, one
 * run, every ratio against a baseline measured in the same run:
 *  - bridge: sequential GCS round trips through the HvSocket relay (DeleteContainerState of a
 *    container that does not exist: the agent parses, answers "not found", nothing else) against a
 *    raw echo through the same relay (`uvmkit-relay echo`, started in the guest by execIntoUVM; the
 *    host pings 256 B messages through `<hvsock dir>/<runtimeId>-<service>.sock`); goal ≥ 0.5.
 *    Rates come from median round trips. Also timed: a refused second NegotiateProtocol, which the
 *    agent answers on its reader thread (DeleteContainerState goes to a pooled worker thread);
 *  - boot: create → guest connected (Negotiate done) through hcs-core → shim → hcsd --engine qemu,
 *    against a raw QEMU boot of the same argv (the engine's own, from its VM log) to the first
 *    `/init` line; goal ≤ 1.3;
 *  - exec: start → exit of `/bin/true` in the guest through execIntoUVM (no stdio), p50 of N.
 * Medians over `--runs N` (default 3); each run boots one VM and one raw QEMU. Prints the load
 * average at the start and end of each run.
 *
 *   node bench/guest.mjs [--runs N] [--rt N] [--execs N] [--json]
 * (`UVMKIT_GUEST_KERNEL` + `UVMKIT_GUEST_INITRD` select another image, e.g. an older build's, to
 * compare.)
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (spawnSync('qemu-system-x86_64', ['--version']).status !== 0) {
  console.log('bench guest: skipped (qemu-system-x86_64 is not installed)');
  process.exit(0);
}

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const at = argv.indexOf(name);
  return at >= 0 ? Number(argv[at + 1]) : def;
};
const RUNS = opt('--runs', 3);
const RT = opt('--rt', 300);
const EXECS = opt('--execs', 15);
const BLOCK = 25;
const json = argv.includes('--json');

const { UtilityVM } = await import('@uvmkit/hcs-core');
const { dial } = await import('@uvmkit/hcs-core/hvsocket');
const { startHcsd } = await import('@uvmkit/hcs-emulator');
const { deleteContainerState, execIntoUVM, Guest, RpcProc } = await import('@uvmkit/guestmanager');
const { lifetime } = await import('@uvmkit/lifetime');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const read = (p) => (existsSync(p) ? readFileSync(p, 'utf8') : '');
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

async function waitFile(path, text, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  while (!read(path).includes(text)) {
    if (Date.now() > deadline) throw new Error(`${path} never showed ${JSON.stringify(text)}`);
    await sleep(2);
  }
  return performance.now();
}

/** The guest image: `$UVMKIT_GUEST_KERNEL`/`$UVMKIT_GUEST_INITRD`, else `pnpm guest-image`'s (cached). */
function guestImage() {
  const { UVMKIT_GUEST_KERNEL: kernel, UVMKIT_GUEST_INITRD: initrd } = process.env;
  if (kernel && initrd) return { kernel, initrd };
  const builder = fileURLToPath(new URL('../../linux-guest/image/build.mjs', import.meta.url));
  const out = execFileSync(process.execPath, [builder], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop());
}
const image = guestImage();
const scratch = mkdtempSync(join(tmpdir(), 'uvmkit-bench-guest-'));
// short: `<dir>/<runtimeId>-<service>.sock` must fit sockaddr_un
const hvsockDir = mkdtempSync('/tmp/gb-');
process.env.UVMKIT_HVSOCK_DIR = hvsockDir;
const doc = {
  SchemaVersion: { Major: 2, Minor: 1 },
  Owner: 'uvmkit-bench-guest',
  ShouldTerminateOnLastHandleClosed: true,
  VirtualMachine: {
    StopOnReset: true,
    Chipset: {
      LinuxKernelDirect: { KernelFilePath: image.kernel, InitRdPath: image.initrd, KernelCmdLine: 'quiet' },
    },
    ComputeTopology: { Memory: { SizeInMB: 512 }, Processor: { Count: 1 } },
    GuestConnection: { UseVsock: true },
  },
};
const ECHO_SERVICE = '0000b0e1-facb-11e6-bd58-64006a7986d3';
const MISSING = '0b0e1b0e-0000-4000-8000-000000000000';

/** Boot milestones in the VM's serial log (`uvmkit-init:` lines, the relay's and the agent's). */
const MILESTONES = {
  'first /init line': 'uvmkit-init: start',
  'modules loaded': 'uvmkit-init: modules',
  'agent started': 'started uvmkit-gcs',
};

/** Polls `log` every 2 ms and notes when each milestone first shows (ms since `t0`). */
function watchLog(log, t0) {
  const seen = {};
  const timer = setInterval(() => {
    const text = read(log);
    for (const [name, line] of Object.entries(MILESTONES))
      if (seen[name] === undefined && text.includes(line)) seen[name] = performance.now() - t0;
  }, 2);
  return {
    stop: () => {
      clearInterval(timer);
      return seen;
    },
  };
}

/** `n` sequential bridge round trips; per-call ms. */
async function bridgeTrips(guest, n) {
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    try {
      await deleteContainerState(guest, MISSING);
      throw new Error('DeleteContainerState of a missing container succeeded');
    } catch (e) {
      if (!/does not exist/.test(String(e?.message))) throw e;
    }
    ms.push(performance.now() - t);
  }
  return ms;
}

/**
 * `n` sequential NegotiateProtocol calls after negotiation: uvmkit-gcs refuses them on its reader
 * thread, where DeleteContainerState is handed to a pooled worker thread. The gap between the two
 * is the agent's hand-off to its worker, not the bridge or the relay.
 */
async function readerTrips(guest, n) {
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    try {
      await guest.rpc(RpcProc.NegotiateProtocol, { MinimumVersion: 4, MaximumVersion: 4 });
      throw new Error('a second NegotiateProtocol succeeded');
    } catch (e) {
      if (!/not supported after negotiation/.test(String(e?.message))) throw e;
    }
    ms.push(performance.now() - t);
  }
  return ms;
}

/** Start `uvmkit-relay echo` in the guest; resolves with its process once it listens. */
async function startEcho(guest) {
  const p = await execIntoUVM(guest, {
    CommandArgs: ['/bin/uvmkit-relay', 'echo', ECHO_SERVICE, '--path', '/tmp/bench-echo.sock'],
    CreateStdOutPipe: true,
  });
  let out = '';
  const deadline = Date.now() + 60_000;
  p.stdout.on('data', (b) => {
    out += b.toString();
  });
  while (!out.includes('LISTENING')) {
    if (Date.now() > deadline) throw new Error(`uvmkit-relay echo did not listen: ${JSON.stringify(out)}`);
    await sleep(5);
  }
  return p;
}

/** A connection to the guest echo; `trips(n)` pings `n` sequential 256 B messages (per-message ms). */
async function echoClient(vm) {
  let sock;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      sock = await dial({ vmId: vm.runtimeId, serviceId: ECHO_SERVICE, dir: hvsockDir });
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(20); // hcsd listens once the guest's LISTEN crossed the relay
    }
  }
  const msg = Buffer.alloc(256, 0x5a);
  let got = 0;
  let wake;
  sock.on('data', (b) => {
    got += b.length;
    wake?.();
  });
  return {
    async trips(n) {
      const ms = [];
      for (let i = 0; i < n; i++) {
        const want = got + msg.length;
        const t = performance.now();
        sock.write(msg);
        while (got < want) await new Promise((r) => (wake = r));
        ms.push(performance.now() - t);
      }
      return ms;
    },
    close: () => sock.destroy(),
  };
}

/** The share of the guest's vCPU that is busy over `sec` seconds while the bench itself does nothing. */
async function guestBusy(guest, sec) {
  const p = await execIntoUVM(guest, {
    CommandArgs: ['/bin/sh', '-c', `head -1 /proc/stat; sleep ${sec}; head -1 /proc/stat`],
    CreateStdOutPipe: true,
  });
  let out = '';
  for await (const b of p.stdout) out += b.toString();
  await p.wait();
  await p.close();
  const [a, b] = out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).slice(1).map(Number));
  const total = b.reduce((x, y) => x + y, 0) - a.reduce((x, y) => x + y, 0);
  const idle = b[3] + b[4] - a[3] - a[4];
  return total > 0 ? 1 - idle / total : NaN;
}

/** start → exit of /bin/true, `n` times; per-process ms. */
async function execTrue(guest, n) {
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const p = await execIntoUVM(guest, { CommandArgs: ['/bin/true'] });
    const code = await p.wait();
    ms.push(performance.now() - t);
    await p.close();
    if (code !== 0) throw new Error(`/bin/true exited ${code}`);
  }
  return ms;
}

UtilityVM.use(lifetime);
const hcsd = await startHcsd({ engine: 'qemu', stateDir: join(scratch, 'hcsd'), timeoutMs: 30_000 });
process.env.UVMKIT_HCSD_SOCKET = hcsd.socketPath;
const rows = {
  connected: [],
  rawInit: [],
  bridgePerSec: [],
  echoPerSec: [],
  bridgeRatio: [],
  bridgeP50: [],
  readerP50: [],
  echoP50: [],
  trueP50: [],
  guestBusy: [],
};
const loads = [];
const phases = {};
try {
  for (let run = 0; run < RUNS; run++) {
    const loadStart = load();
    const id = `bench-guest-${process.pid}-${run}`;
    const t0 = performance.now();
    const vm = await UtilityVM.create(id, doc);
    const guest = new Guest(vm);
    let view;
    let engineArgv;
    try {
      await guest.prepareConnection();
      await vm.start();
      view = await hcsd.control.engine(id, 'qemu');
      const marks = watchLog(view.log, t0);
      await guest.createConnection({ timeout: 300_000 });
      rows.connected.push(performance.now() - t0);
      for (const [k, v] of Object.entries(marks.stop())) {
        phases[k] ??= [];
        phases[k].push(v);
      }

      rows.guestBusy.push(await guestBusy(guest, 3));
      const echo = await startEcho(guest);
      const client = await echoClient(vm);
      await bridgeTrips(guest, 20); // warm-ups
      await readerTrips(guest, 20);
      await client.trips(20);
      // interleaved blocks, so that the three see the same host load
      const b = [];
      const r = [];
      const e = [];
      for (let done = 0; done < RT; done += BLOCK) {
        const k = Math.min(BLOCK, RT - done);
        b.push(...(await bridgeTrips(guest, k)));
        r.push(...(await readerTrips(guest, k)));
        e.push(...(await client.trips(k)));
      }
      client.close();
      await echo.kill().catch(() => {});
      await echo.close();
      rows.readerP50.push(median(r));
      // rates from the median round trip: a mean would mostly measure which round trips collided
      // with other work in the guest or on the host
      const bridgeRate = 1000 / median(b);
      const echoRate = 1000 / median(e);
      rows.bridgeP50.push(median(b));
      rows.echoP50.push(median(e));
      rows.bridgePerSec.push(bridgeRate);
      rows.echoPerSec.push(echoRate);
      rows.bridgeRatio.push(bridgeRate / echoRate);

      await execTrue(guest, 2); // warm-up
      rows.trueP50.push(median(await execTrue(guest, EXECS)));
      engineArgv = JSON.parse(/^uvmkit: argv (.*)$/m.exec(read(view.log))?.[1] ?? '[]');
    } finally {
      await guest.closeConnection().catch(() => {});
      await vm.terminate().catch(() => {});
      await vm.close();
    }

    // Raw QEMU, the same argv in a fresh directory, to the first /init line.
    const dir = join(scratch, `raw${run}`);
    mkdirSync(dir);
    const rawArgv = engineArgv.map((a) => a.replaceAll(view.vmDir, dir));
    for (const a of rawArgv) {
      const m = /path=([^,]*\/9p-[^,]+)/.exec(a);
      if (m) symlinkSync(dir, m[1]);
    }
    const log = join(dir, 'vm.log');
    writeFileSync(log, '');
    const t2 = performance.now();
    const child = spawn(rawArgv[0], rawArgv.slice(1), { stdio: 'ignore' });
    try {
      rows.rawInit.push((await waitFile(log, 'uvmkit-init: start')) - t2);
    } finally {
      child.kill('SIGKILL');
    }
    loads.push(`${loadStart} → ${load()}`);
  }

  const m = Object.fromEntries(
    Object.entries(rows)
      .filter(([, v]) => v.length > 0)
      .map(([k, v]) => [k, +median(v).toFixed(3)]),
  );
  const result = {
    bench: 'guest',
    runs: RUNS,
    roundTrips: RT,
    execs: EXECS,
    median: m,
    bridgeRatio: +m.bridgeRatio.toFixed(3),
    bootRatio: +(m.connected / m.rawInit).toFixed(3),
    trueP50Ms: +m.trueP50.toFixed(1),
    load: loads,
    bootMilestonesMs: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, +median(v).toFixed(0)])),
    all: Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, v.map((x) => +x.toFixed(2))])),
  };
  if (!json) {
    console.log(`guest bench (${RUNS} runs, medians; load average 1/5/15 min, start → end of each run):`);
    for (const l of loads) console.log(`  load ${l}`);
    console.log(
      `  bridge round trips ${m.bridgePerSec.toFixed(0)}/s (p50 ${m.bridgeP50.toFixed(2)} ms)   raw relay echo ${m.echoPerSec.toFixed(0)}/s (p50 ${m.echoP50.toFixed(2)} ms)   ratio ${result.bridgeRatio} (goal ≥ 0.5)`,
    );
    console.log(
      `  the same bridge, answered on the agent's reader thread (a refused second NegotiateProtocol): p50 ${m.readerP50.toFixed(2)} ms, ratio ${(m.echoP50 / m.readerP50).toFixed(3)}`,
    );
    const milestones = Object.keys(MILESTONES)
      .filter((k) => phases[k]?.length)
      .map((k) => `${k} ${median(phases[k]).toFixed(0)}`)
      .join(', ');
    console.log(
      `  boot milestones, ms since create (medians): ${milestones}, connected ${m.connected.toFixed(0)}`,
    );
    console.log(
      `  create → connected ${m.connected.toFixed(0)} ms   raw QEMU → first /init line ${m.rawInit.toFixed(0)} ms   ratio ${result.bootRatio} (goal ≤ 1.3)`,
    );
    console.log(
      `  guest vCPU busy while the bench idles: ${(100 * m.guestBusy).toFixed(0)}% (nothing in the image polls: device changes come as uevents)`,
    );
    console.log(
      `  start → exit of /bin/true p50 ${result.trueP50Ms} ms (median of ${RUNS} runs of ${EXECS})`,
    );
  }
  console.log(JSON.stringify(result));
} finally {
  // hcsd's QEMUs die with it (pdeathsig); each raw QEMU was killed in its own run.
  await hcsd.stop();
  rmSync(scratch, { recursive: true, force: true });
  rmSync(hvsockDir, { recursive: true, force: true });
}
