#!/usr/bin/env node
/**
 * qemu engine bench (part of `pnpm bench`; skipped when QEMU is not installed):
 *  - boot: create→start→first `/init` line through hcs-core → shim → hcsd --engine qemu, against
 *    the raw QEMU boot of the same argv (the engine's own, from its VM log) to the same line;
 *  - SCSI hot-add → the guest's uevent for sda, through HcsModifyComputeSystem vs raw QMP
 *    blockdev-add + device_add on the raw QEMU;
 *  - hcsd's RSS per running VM (QEMU excluded: it is another process).
 * Runs alternate (hcsd, raw) so both see the same host load. `--runs N` (default 3).
 *
 *   node bench/qemu.mjs [--runs N] [--json]
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
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (spawnSync('qemu-system-x86_64', ['--version']).status !== 0) {
  console.log('bench qemu: skipped (qemu-system-x86_64 is not installed)');
  process.exit(0);
}

const argv = process.argv.slice(2);
const runsAt = argv.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(argv[runsAt + 1]) : 3;
const json = argv.includes('--json');

const { ComputeSystem } = await import('@uvmkit/hcs-core');
const { startHcsd } = await import('@uvmkit/hcs-emulator');
const { ScsiControllerGuids } = await import('@uvmkit/hcs-schema');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const read = (p) => (existsSync(p) ? readFileSync(p, 'utf8') : '');

async function waitFile(path, text, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!read(path).includes(text)) {
    if (Date.now() > deadline) throw new Error(`${path} never showed ${JSON.stringify(text)}`);
    await sleep(2);
  }
  return performance.now();
}

/** A minimal QMP client for the raw runs. */
async function rawQmp(path) {
  for (let i = 0; i < 500 && !existsSync(path); i++) await sleep(10);
  const sock = createConnection(path);
  sock.setEncoding('utf8');
  let buf = '';
  const waiters = [];
  sock.on('data', (d) => {
    buf += d;
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const msg = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (msg.return !== undefined || msg.error !== undefined || msg.QMP) waiters.shift()?.(msg);
      nl = buf.indexOf('\n');
    }
  });
  const next = () => new Promise((r) => waiters.push(r));
  await next();
  const cmd = async (execute, args) => {
    const p = next();
    sock.write(`${JSON.stringify(args ? { execute, arguments: args } : { execute })}\n`);
    const m = await p;
    if (m.error) throw new Error(`${execute}: ${m.error.desc}`);
    return m.return;
  };
  await cmd('qmp_capabilities');
  return { cmd, close: () => sock.destroy() };
}

const builder = fileURLToPath(new URL('../../linux-guest/image/build.mjs', import.meta.url));
const image = JSON.parse(
  execFileSync(process.execPath, [builder], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    .trim()
    .split('\n')
    .pop(),
);
const scratch = mkdtempSync(join(tmpdir(), 'uvmkit-bench-qemu-'));
const disk = join(scratch, 'disk.img');
execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', disk, '16M']);
const doc = {
  SchemaVersion: { Major: 2, Minor: 1 },
  Owner: 'uvmkit-bench',
  ShouldTerminateOnLastHandleClosed: true,
  VirtualMachine: {
    StopOnReset: true,
    Chipset: {
      LinuxKernelDirect: { KernelFilePath: image.kernel, InitRdPath: image.initrd, KernelCmdLine: 'quiet' },
    },
    ComputeTopology: { Memory: { SizeInMB: 512 }, Processor: { Count: 1 } },
    Devices: { Scsi: { [ScsiControllerGuids[0]]: { Attachments: {} } } },
  },
};

const hcsd = await startHcsd({ engine: 'qemu', stateDir: join(scratch, 'hcsd'), timeoutMs: 30_000 });
process.env.UVMKIT_HCSD_SOCKET = hcsd.socketPath;
const rss = () =>
  Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${hcsd.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
const rows = { hcsdRunning: [], hcsdInit: [], rawInit: [], hcsdScsi: [], rawScsi: [] };
try {
  for (let run = 0; run < RUNS; run++) {
    // Through hcsd.
    const id = `bench-qemu-${process.pid}-${run}`;
    const t0 = performance.now();
    const cs = await ComputeSystem.create(id, doc);
    await cs.start();
    rows.hcsdRunning.push(performance.now() - t0);
    const view = await hcsd.control.engine(id, 'qemu');
    rows.hcsdInit.push((await waitFile(view.log, 'uvmkit-init: start')) - t0);
    await waitFile(view.log, 'uvmkit-init: READY');
    const t1 = performance.now();
    await cs.modify({
      ResourcePath: `VirtualMachine/Devices/Scsi/${ScsiControllerGuids[0]}/Attachments/0`,
      RequestType: 'Add',
      Settings: { Type: 'VirtualDisk', Path: disk },
    });
    rows.hcsdScsi.push((await waitFile(view.log, 'uvmkit-init: uevent add sda')) - t1);
    const engineArgv = JSON.parse(/^uvmkit: argv (.*)$/m.exec(read(view.log))?.[1] ?? '[]');
    await cs.terminate();
    await cs.close();

    // Raw QEMU, the same argv in a fresh directory.
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
      await waitFile(log, 'uvmkit-init: READY');
      const qmp = await rawQmp(join(dir, 'qmp.sock'));
      const t3 = performance.now();
      await qmp.cmd('blockdev-add', {
        driver: 'raw',
        'node-name': 'd0',
        file: { driver: 'file', filename: disk },
      });
      await qmp.cmd('device_add', {
        driver: 'scsi-hd',
        id: 'sd0',
        bus: 'scsi0.0',
        'scsi-id': 0,
        lun: 0,
        drive: 'd0',
      });
      rows.rawScsi.push((await waitFile(log, 'uvmkit-init: uevent add sda')) - t3);
      qmp.close();
    } finally {
      child.kill('SIGKILL');
    }
  }

  // hcsd RSS per running VM: 3 VMs started (QEMU is another process and not counted).
  global.gc?.();
  await sleep(500);
  const before = rss();
  const vms = [];
  for (let i = 0; i < 3; i++) {
    const cs = await ComputeSystem.create(`bench-qemu-rss-${process.pid}-${i}`, doc);
    await cs.start();
    vms.push(cs);
  }
  await sleep(500);
  const after = rss();
  for (const cs of vms) {
    await cs.terminate();
    await cs.close();
  }

  const m = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, Math.round(median(v))]));
  const result = {
    bench: 'qemu',
    runs: RUNS,
    medianMs: m,
    bootRatio: +(m.hcsdInit / m.rawInit).toFixed(3),
    scsiRatio: +(m.hcsdScsi / m.rawScsi).toFixed(3),
    hcsdRssPerVmBytes: Math.round((after - before) / 3),
    all: Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, v.map((x) => Math.round(x))])),
  };
  if (!json) {
    console.log(`qemu bench (${RUNS} runs, medians):`);
    console.log(`  create→start→Running (hcsd)        ${m.hcsdRunning} ms`);
    console.log(
      `  create→first /init line (hcsd)     ${m.hcsdInit} ms   raw QEMU ${m.rawInit} ms   ratio ${result.bootRatio}`,
    );
    console.log(
      `  SCSI hot-add → guest uevent (hcsd) ${m.hcsdScsi} ms   raw QMP ${m.rawScsi} ms   ratio ${result.scsiRatio}`,
    );
    console.log(`  hcsd RSS per running VM            ${(result.hcsdRssPerVmBytes / 1048576).toFixed(2)} MB`);
  }
  console.log(JSON.stringify(result));
} finally {
  // hcsd's QEMUs die with it (pdeathsig); each raw QEMU was killed in its own run.
  await hcsd.stop();
  rmSync(scratch, { recursive: true, force: true });
}
