/**
 * The relay in a real VM (QEMU/TCG): RelayHost against `uvmkit-relay` on a real virtio-serial port.
 * Uses the guest image (`pnpm guest-image`, or `UVMKIT_GUEST_KERNEL` and `UVMKIT_GUEST_INITRD`: an
 * image with /bin/busybox, /bin/uvmkit-relay and the virtio_pci + virtio_console modules). The test
 * appends a small cpio with its own /init (a later initramfs segment overrides earlier files), so
 * it does not depend on the image's init.
 *
 * Checks, in one boot: sync; 16 MiB guest→host and host→guest through one stream each (from and to
 * a file in the guest's RAM: a `head | dial` or `dial | wc` pipeline would mostly measure busybox's
 * 4 KiB copies and wc's per-byte loop, on the one vCPU the relay runs on); echo round
 * trips of 128 B and 4 KiB (printed as p50/p99, not asserted); a host disconnect while the guest
 * waits (the guest must not spin: QEMU's CPU time over 2 s with no host stays well under a core),
 * then a new RelayHost syncs and streams work again.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { RelayHost } from '../../src/hcsd/engines/qemu/relay.js';
import { tempDir, until, vsockService } from '../helpers/relay-rig.js';

/** The guest image: `$UVMKIT_GUEST_KERNEL`/`$UVMKIT_GUEST_INITRD`, else `pnpm guest-image`'s (cached). */
function guestImage(): { kernel: string; initrd: string } {
  const { UVMKIT_GUEST_KERNEL: kernel, UVMKIT_GUEST_INITRD: initrd } = process.env;
  if (kernel && initrd) return { kernel, initrd };
  const builder = fileURLToPath(new URL('../../../linux-guest/image/build.mjs', import.meta.url));
  const out = execFileSync(process.execPath, [builder], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 300_000,
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '') as { kernel: string; initrd: string };
}
const { kernel: KERNEL, initrd: INITRD } = guestImage();
const RUNTIME_ID = '3f2a9c4e-1b7d-4c8e-9f0a-5b6c7d8e9f01';
const ECHO = vsockService(0x5000);
const SINK = vsockService(0x5001);
const SOURCE = vsockService(0x5002);
const BULK = 16 * 1024 * 1024;

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin 2>/dev/null
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /run /tmp /dev/virtio-ports
modprobe -a virtio_pci virtio_console
n=0; while [ -z "$(ls /sys/class/virtio-ports 2>/dev/null)" ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n+1)); done
for p in /sys/class/virtio-ports/*; do ln -sf /dev/\${p##*/} /dev/virtio-ports/$(cat $p/name); done
echo "RELAYTEST ports: $(ls /dev/virtio-ports)"
uvmkit-relay serve 2>/dev/console &
until [ -S /run/uvmkit/relay.sock ]; do sleep 0.05; done
uvmkit-relay echo ${ECHO} --path /run/echo.sock >/dev/console 2>&1 &
dd if=/dev/zero of=/tmp/bulk bs=65536 count=${BULK / 65536} 2>/dev/null
until uvmkit-relay dial ${SINK} </dev/null 2>/dev/null; do sleep 0.2; done
uvmkit-relay dial ${SINK} </tmp/bulk
uvmkit-relay dial ${SOURCE} </dev/null >/tmp/source
echo "RELAYTEST source $(stat -c %s /tmp/source)"
echo "RELAYTEST ready"
while true; do sleep 1000; done
`;

interface Vm {
  proc: ChildProcess;
  serial: () => string;
}

let t: ReturnType<typeof tempDir>;
let vm: Vm | undefined;
let host: RelayHost | undefined;
const servers: Server[] = [];
const logs: string[] = [];
const chardev = () => join(t.dir, 'relay.sock');
// short: `<dir>/<runtimeId>-<service>.sock` must fit sockaddr_un (107 bytes)
const hvsock = () => join(t.dir, 'h');
const hvsockPath = (service: string) => join(hvsock(), `${RUNTIME_ID}-${service}.sock`);

function newHost(): RelayHost {
  return new RelayHost({
    chardevPath: chardev(),
    hvsockDir: hvsock(),
    runtimeId: RUNTIME_ID,
    logger: { info: (m) => logs.push(m), error: (m, e) => logs.push(`ERROR ${m} ${String(e ?? '')}`) },
  });
}

/** The image's initrd, 4-byte aligned, then a newc cpio holding this test's /init. */
function buildInitrd(): string {
  const overlay = join(t.dir, 'overlay');
  mkdirSync(overlay);
  writeFileSync(join(overlay, 'init'), INIT, { mode: 0o755 });
  const cpio = execFileSync('sh', [
    '-c',
    'cd "$1" && echo init | busybox cpio -o -H newc 2>/dev/null',
    'sh',
    overlay,
  ]);
  const out = join(t.dir, 'initrd');
  copyFileSync(INITRD, out);
  const pad = (4 - (statSync(out).size % 4)) % 4;
  appendFileSync(out, Buffer.concat([Buffer.alloc(pad), cpio]));
  return out;
}

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]); // utime + stime
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

/** Ping-pong `n` messages of `size` bytes through the echo; returns per-message µs. */
async function roundTrips(size: number, n: number): Promise<number[]> {
  const s = connect({ path: hvsockPath(ECHO) });
  await once(s, 'connect');
  const msg = Buffer.alloc(size, 0x5a);
  const times: number[] = [];
  let got = 0;
  let wake: (() => void) | undefined;
  s.on('data', (b: Buffer) => {
    got += b.length;
    wake?.();
  });
  for (let i = 0; i < n; i++) {
    const want = got + size;
    const t0 = process.hrtime.bigint();
    s.write(msg);
    while (got < want) await new Promise<void>((r) => (wake = r));
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  s.destroy();
  return times;
}

describe('relay in QEMU', () => {
  let sinkBytes = 0;
  let sinkMs = 0;
  let sourceMs = 0;

  beforeAll(async () => {
    t = tempDir();
    mkdirSync(hvsock(), { mode: 0o700 });
    // guest→host bulk: count what arrives, answer EOF with EOF (the guest's first, empty stream
    // only waits for the sync)
    const sink = createServer({ allowHalfOpen: true }, (s: Socket) => {
      let t0 = 0n;
      s.on('data', (b: Buffer) => {
        if (t0 === 0n) t0 = process.hrtime.bigint();
        sinkBytes += b.length;
      });
      s.on('end', () => {
        if (t0 !== 0n) sinkMs = Number(process.hrtime.bigint() - t0) / 1e6; // not the empty probe
        s.end();
      });
    });
    // host→guest bulk: 64 MiB, then EOF
    const source = createServer({ allowHalfOpen: true }, async (s: Socket) => {
      s.resume();
      s.on('error', () => {});
      const t0 = process.hrtime.bigint();
      s.on('close', () => {
        sourceMs = Number(process.hrtime.bigint() - t0) / 1e6;
      });
      const chunk = Buffer.alloc(1024 * 1024);
      for (let sent = 0; sent < BULK; sent += chunk.length) if (!s.write(chunk)) await once(s, 'drain');
      s.end();
    });
    for (const [srv, svc] of [
      [sink, SINK],
      [source, SOURCE],
    ] as const) {
      srv.listen(hvsockPath(svc));
      await once(srv, 'listening');
      servers.push(srv);
    }
    const initrd = buildInitrd();
    const args = [
      ...['-accel', 'tcg', '-machine', 'q35', '-cpu', 'max', '-m', '512', '-smp', '1'],
      ...['-nographic', '-nodefaults', '-no-user-config', '-serial', 'stdio'],
      ...['-kernel', KERNEL, '-initrd', initrd, '-append', 'console=ttyS0 quiet panic=-1'],
      ...['-device', 'virtio-serial-pci,id=vser0'],
      ...['-chardev', `socket,id=relay,path=${chardev()},server=on,wait=off`],
      ...['-device', 'virtserialport,bus=vser0.0,chardev=relay,name=uvmkit.relay'],
    ];
    const proc = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let serial = '';
    proc.stdout!.on('data', (b: Buffer) => {
      serial += b.toString();
    });
    proc.stderr!.on('data', (b: Buffer) => {
      serial += b.toString();
    });
    vm = { proc, serial: () => serial };
    await until(
      () => {
        try {
          return statSync(chardev()).isSocket();
        } catch {
          return false;
        }
      },
      'the QEMU chardev socket',
      30_000,
    );
  }, 60_000);

  beforeEach(() => {
    onTestFailed(() => {
      console.error(`serial:\n${vm?.serial() ?? ''}\nhost log:\n${logs.join('\n')}`);
    });
  });

  afterAll(async () => {
    await host?.close();
    for (const s of servers) s.close();
    if (vm !== undefined && vm.proc.exitCode === null && vm.proc.signalCode === null) {
      vm.proc.kill('SIGKILL');
      await once(vm.proc, 'exit');
    }
    t?.remove();
  });

  it('syncs with the guest relay and carries 16 MiB each way', async () => {
    host = newHost();
    const hello = once(host.events, 'guest-hello');
    host.start();
    await hello;
    await until(() => vm!.serial().includes('RELAYTEST ready'), 'the guest bulk transfers', 600_000);
    expect(vm!.serial()).toContain('RELAYTEST ports: uvmkit.relay');
    expect(sinkBytes).toBe(BULK);
    expect(vm!.serial()).toMatch(new RegExp(`RELAYTEST source\\s+${BULK}\\b`));
    await until(() => sourceMs > 0, 'the source stream to end');
    console.log(
      `relay bulk: guest→host ${(BULK / 1e6 / (sinkMs / 1000)).toFixed(1)} MB/s, host→guest ${(BULK / 1e6 / (sourceMs / 1000)).toFixed(1)} MB/s`,
    );
    expect(host.inspect().listeners).toEqual([{ service: ECHO, path: hvsockPath(ECHO) }]);
  }, 660_000);

  it('echoes 128 B and 4 KiB round trips', async () => {
    for (const [size, n] of [
      [128, 2000],
      [4096, 1000],
    ] as const) {
      const us = await roundTrips(size, n);
      const total = us.reduce((a, b) => a + b, 0);
      console.log(
        `relay round trip ${size} B: p50 ${pct(us, 50).toFixed(0)} µs, p99 ${pct(us, 99).toFixed(0)} µs, ${(n / (total / 1e6)).toFixed(0)} msgs/s`,
      );
      expect(us).toHaveLength(n);
    }
    // the echo returns exactly what was sent
    const s = connect({ path: hvsockPath(ECHO), allowHalfOpen: true });
    const data = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));
    const got: Buffer[] = [];
    s.on('data', (b: Buffer) => got.push(b));
    s.end(data);
    await once(s, 'end');
    expect(Buffer.concat(got).equals(data)).toBe(true);
    s.destroy();
  }, 300_000);

  it('survives the host going away: no spinning while alone, a new host syncs and streams work', async () => {
    await host!.close();
    host = undefined;
    expect(existsSync(hvsockPath(ECHO))).toBe(false);
    const pid = vm!.proc.pid!;
    await new Promise((r) => setTimeout(r, 500));
    const c0 = cpuTicks(pid);
    const w0 = Date.now();
    await new Promise((r) => setTimeout(r, 2000));
    const share = (cpuTicks(pid) - c0) / 100 / ((Date.now() - w0) / 1000); // USER_HZ = 100
    console.log(`QEMU CPU with no host connected: ${(share * 100).toFixed(1)}% of a core`);
    expect(share).toBeLessThan(0.5);
    host = newHost();
    const hello = once(host.events, 'guest-hello');
    host.start();
    const [h] = await hello;
    expect(h.listeners).toEqual([ECHO]);
    await until(() => host!.inspect().listeners.length === 1, 'the listener again');
    const s = connect({ path: hvsockPath(ECHO), allowHalfOpen: true });
    const got: Buffer[] = [];
    s.on('data', (b: Buffer) => got.push(b));
    s.end('after a new host');
    await once(s, 'end');
    expect(Buffer.concat(got).toString()).toBe('after a new host');
    s.destroy();
  }, 300_000);
});
