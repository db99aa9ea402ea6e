/** The qemu engine's lifecycle through hcs-core: koffi → libcomputecore.so → hcsd --engine qemu → QEMU. */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rejection, uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ComputeSystem } from '../../src/compute-system.js';
import type { HcsError } from '../../src/errors.js';
import {
  alive,
  type QemuHcsd,
  qemuDocument,
  qemuView,
  startQemuHcsd,
  vmLog,
  waitGone,
  waitLog,
} from './helpers.js';

let q: QemuHcsd;
const open: ComputeSystem[] = [];
const pids: number[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'uvmkit-qemu-life-'));

beforeAll(async () => {
  q = await startQemuHcsd();
});
afterEach(async () => {
  for (const cs of open.splice(0)) {
    await cs.terminate().catch(() => {});
    await cs.close().catch(() => {});
  }
});
afterAll(async () => {
  await q?.hcsd.stop();
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
  rmSync(q?.stateDir ?? '/nonexistent', { recursive: true, force: true });
});

async function boot(config = qemuDocument()): Promise<{ id: string; cs: ComputeSystem; pid: number }> {
  const id = uniqueSystemId('qemu');
  const cs = await ComputeSystem.create(id, config);
  open.push(cs);
  await cs.start();
  const view = await qemuView(q.hcsd, id);
  if (view.pid === null) throw new Error('no QEMU pid after Start');
  pids.push(view.pid);
  return { id, cs, pid: view.pid };
}

describe('qemu engine lifecycle', () => {
  it('boots to Running: QEMU runs, the guest init reaches its READY marker, properties say so', async () => {
    const { id, cs, pid } = await boot();
    expect((await q.hcsd.control.system(id)).state).toBe('Running');
    const view = await qemuView(q.hcsd, id);
    expect(view.status).toBe('running');
    expect(view.accelerator).toMatch(/^(tcg|kvm)$/);
    expect(alive(pid)).toBe(true);
    const log = await waitLog(q.hcsd, id, /uvmkit-init: READY/);
    expect(log).toContain(`uvmkit: accelerator ${view.accelerator}`);
    expect(log).toMatch(/uvmkit-init: devices block= net=lo, .*ports=uvmkit\.relay,/);
    // The guest's relay opened its port by name and the engine's RelayHost synced with it.
    expect(log).toMatch(/uvmkit-init: started uvmkit-relay pid=\d+/);
    const deadline = Date.now() + 30_000;
    let relay = (await q.hcsd.control.engine(id, 'relay')) as { connected: boolean; synced: boolean } | null;
    while (!relay?.synced && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      relay = (await q.hcsd.control.engine(id, 'relay')) as typeof relay;
    }
    expect(relay).toMatchObject({ connected: true, synced: true });
    const props = await cs.getProperties({ PropertyTypes: ['Statistics'] });
    expect(props.State).toBe('Running');
    const stats = props.Statistics as { Uptime100ns: number; Memory?: { MemoryUsageCommitBytes?: number } };
    expect(stats.Uptime100ns).toBeGreaterThan(0);
    expect(stats.Memory?.MemoryUsageCommitBytes).toBeGreaterThan(16 * 1024 * 1024);
  });

  it('pause / resume stop and continue the vCPUs', async () => {
    const { id, cs } = await boot();
    await cs.pause();
    expect((await qemuView(q.hcsd, id)).status).toBe('paused');
    await cs.resume();
    expect((await qemuView(q.hcsd, id)).status).toBe('running');
  });

  it('shutdown powers the guest off through ACPI (GracefulExit) and QEMU is gone', async () => {
    const { id, cs, pid } = await boot();
    await waitLog(q.hcsd, id, /uvmkit-init: READY/);
    const exit = cs.waitForExit();
    await cs.shutdown();
    expect(await exit).toMatchObject({ ExitType: 'GracefulExit' });
    expect(await waitGone(pid)).toBe(true);
  });

  it('terminate: ForcedExit and QEMU is gone', async () => {
    const { cs, pid } = await boot();
    const exit = cs.waitForExit();
    await cs.terminate();
    expect(await exit).toMatchObject({ ExitType: 'ForcedExit' });
    expect(await waitGone(pid)).toBe(true);
  });

  it('the guest powering off by itself is a GracefulExit', async () => {
    const { id, cs, pid } = await boot();
    await waitLog(q.hcsd, id, /uvmkit-init: READY/);
    const exit = cs.waitForExit();
    // ACPI power button from the host, without Shutdown: the guest decides to power off.
    await q.hcsd.control.engine(id, 'qemu', { command: 'system_powerdown' });
    const status = await exit;
    expect(status).toMatchObject({ ExitType: 'GracefulExit', Status: 0 });
    expect(await waitGone(pid)).toBe(true);
  });

  it('kill -9 of QEMU: SystemExited with UnexpectedExit', async () => {
    const { cs, pid } = await boot();
    const exit = cs.waitForExit();
    process.kill(pid, 'SIGKILL');
    const status = await exit;
    expect(status.ExitType).toBe('UnexpectedExit');
    expect(status.Status).toBe(0x80370106 | 0);
  });

  it('save to a file, then a new VM restored from it continues the same guest', async () => {
    const { id, cs, pid } = await boot();
    await waitLog(q.hcsd, id, /uvmkit-init: READY/);
    const file = join(scratch, 'vm.state');
    await cs.pause();
    await cs.save({ SaveType: 'ToFile', SaveStateFilePath: file });
    expect(statSync(file).size).toBeGreaterThan(1 << 20);
    expect(existsSync(`${file}.uvmkit.json`)).toBe(true);
    await cs.terminate();
    expect(await waitGone(pid)).toBe(true);

    const { id: id2, cs: cs2 } = await boot(qemuDocument({ restore: file }));
    expect((await qemuView(q.hcsd, id2)).status).toBe('running');
    // The restored guest did not boot again (no new start line in its log), and its init, going on
    // from where it was, still answers the power button.
    const exit = cs2.waitForExit();
    await cs2.shutdown();
    expect(await exit).toMatchObject({ ExitType: 'GracefulExit' });
    const log = await vmLog(q.hcsd, id2);
    expect(log).not.toContain('uvmkit-init: start');
    expect(log).toContain('uvmkit-init: power button: poweroff');
  });

  it('save into a missing directory: ERROR_PATH_NOT_FOUND, the VM stays paused', async () => {
    const { id, cs } = await boot();
    await cs.pause();
    const err = await rejection<HcsError>(
      cs.save({ SaveType: 'ToFile', SaveStateFilePath: join(scratch, 'no/such/dir/vm.state') }),
    );
    expect((err.hresult ?? 0) >>> 0).toBe(0x80070003);
    expect(err.message).toContain('does not exist');
    expect((await qemuView(q.hcsd, id)).status).toBe('paused');
  });
});
