/** The qemu engine leaves nothing behind: hcsd killed, many cycles, and bad input refused before QEMU runs. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { rejection, uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComputeSystem } from '../../src/compute-system.js';
import type { HcsError } from '../../src/errors.js';
import {
  alive,
  listTree,
  type QemuHcsd,
  qemuChildren,
  qemuDocument,
  qemuView,
  SCSI0,
  startQemuHcsd,
  waitGone,
} from './helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'uvmkit-qemu-rob-'));
const spawned: number[] = [];

afterAll(() => {
  for (const pid of spawned) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

describe('qemu engine: nothing outlives hcsd', () => {
  it('kill -9 of hcsd: its QEMU processes die with it', async () => {
    const q = await startQemuHcsd();
    try {
      const vms: ComputeSystem[] = [];
      for (let i = 0; i < 2; i++) {
        const cs = await ComputeSystem.create(uniqueSystemId('qemu-orphan'), qemuDocument());
        vms.push(cs);
        await cs.start();
      }
      const pids = qemuChildren(q.hcsd.pid);
      spawned.push(...pids);
      expect(pids).toHaveLength(2);
      await q.hcsd.kill();
      for (const pid of pids) expect(await waitGone(pid, 5_000)).toBe(true);
      for (const cs of vms) await cs.close().catch(() => {});
    } finally {
      await q.hcsd.kill();
      rmSync(q.stateDir, { recursive: true, force: true });
    }
  });
});

describe('qemu engine: cycles and bad input', () => {
  let q: QemuHcsd;
  beforeAll(async () => {
    q = await startQemuHcsd();
  });
  afterAll(async () => {
    await q?.hcsd.stop();
    rmSync(q?.stateDir ?? '/nonexistent', { recursive: true, force: true });
  });

  it('20 create/start/terminate cycles leave no QEMU process, socket or file behind', async () => {
    for (let i = 0; i < 20; i++) {
      const cs = await ComputeSystem.create(uniqueSystemId('qemu-cycle'), qemuDocument());
      await cs.start();
      const pid = (await qemuView(q.hcsd, cs.id)).pid;
      expect(pid).not.toBeNull();
      spawned.push(pid ?? 0);
      await cs.terminate();
      await cs.close();
      expect(await waitGone(pid ?? 0)).toBe(true);
    }
    expect(qemuChildren(q.hcsd.pid)).toEqual([]);
    expect(listTree(q.stateDir)).toEqual([]);
  });

  async function refused(config: Record<string, unknown>, when: 'create' | 'start'): Promise<HcsError> {
    const id = uniqueSystemId('qemu-bad');
    let cs: ComputeSystem | undefined;
    try {
      if (when === 'create') return await rejection<HcsError>(ComputeSystem.create(id, config));
      cs = await ComputeSystem.create(id, config);
      return await rejection<HcsError>(cs.start());
    } finally {
      await cs?.close().catch(() => {});
      expect(qemuChildren(q.hcsd.pid)).toEqual([]);
    }
  }

  it('a kernel path that does not exist: ERROR_FILE_NOT_FOUND', async () => {
    const err = await refused(qemuDocument({ kernel: join(scratch, 'no-vmlinux') }), 'create');
    expect((err.hresult ?? 0) >>> 0).toBe(0x80070002);
    expect(err.message).toContain(`kernel ${join(scratch, 'no-vmlinux')}: no such file`);
  });

  it('an initrd that is not one: ERROR_BAD_FORMAT', async () => {
    const bogus = join(scratch, 'initrd.txt');
    writeFileSync(bogus, 'this is not a cpio archive\n');
    const err = await refused(qemuDocument({ initrd: bogus }), 'create');
    expect((err.hresult ?? 0) >>> 0).toBe(0x8007000b);
    expect(err.message).toContain('not a cpio archive');
  });

  it('more memory than the host has: ERROR_NOT_ENOUGH_MEMORY', async () => {
    const mb = Math.ceil(totalmem() / 1048576) * 2;
    const err = await refused(qemuDocument({ memoryMB: mb }), 'create');
    expect((err.hresult ?? 0) >>> 0).toBe(0x80070008);
    expect(err.message).toContain(`SizeInMB ${mb}: more than the host's`);
  });

  it('an unreadable disk image: a directory (ERROR_BAD_FORMAT), a missing file (ERROR_FILE_NOT_FOUND)', async () => {
    // Tests run as root, who can read a mode-000 file, so "unreadable" is a directory and a missing file.
    const dir = join(scratch, 'locked');
    const doc = qemuDocument({
      devices: { Scsi: { [SCSI0]: { Attachments: { '0': { Type: 'VirtualDisk', Path: scratch } } } } },
    });
    const err = await refused(doc, 'create');
    expect((err.hresult ?? 0) >>> 0).toBe(0x8007000b);
    expect(err.message).toContain('not a regular file');
    const missing = qemuDocument({
      devices: {
        Scsi: { [SCSI0]: { Attachments: { '0': { Type: 'VirtualDisk', Path: join(dir, 'x.img') } } } },
      },
    });
    const err2 = await refused(missing, 'create');
    expect((err2.hresult ?? 0) >>> 0).toBe(0x80070002);
  });

  it('a device QEMU itself refuses at start: the QEMU error, and no QEMU left', async () => {
    const img = join(scratch, 'not-a-vhdx.vhdx');
    writeFileSync(img, Buffer.alloc(1 << 20));
    const doc = qemuDocument({
      devices: { Scsi: { [SCSI0]: { Attachments: { '0': { Type: 'VirtualDisk', Path: img } } } } },
    });
    const err = await refused(doc, 'start');
    expect((err.hresult ?? 0) >>> 0).toBe(0x80004005);
    expect(err.message).toMatch(/QEMU exited at start \(exit code 1\): .*vhdx/i);
  });
});
