/**
 * uvmctl as a subprocess against hcsd (sim engine): human and JSON output, exit codes, the error
 * for an unknown id, a config with a bad field, every manager and guest command (checked against
 * what hcsd holds), --trace, and the usage/unavailable paths.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type HcsdProcess, startHcsd } from '@uvmkit/hcs-emulator';
import { uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { ScsiControllerGuids } from '@uvmkit/hcs-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keptDocument, type Run, uvmctl, writeConfig } from './helpers.js';

let hcsd: HcsdProcess;
const run = (...args: string[]): Promise<Run> => uvmctl(hcsd.socketPath, args);

beforeAll(async () => {
  hcsd = await startHcsd({ timeoutMs: 30_000 });
}, 60_000);
afterAll(async () => {
  await hcsd?.stop();
});

/** Create and start a VM through uvmctl; returns its id. */
async function running(): Promise<string> {
  const id = uniqueSystemId('cli');
  expect((await run('create', id, '--config', writeConfig(keptDocument()))).code).toBe(0);
  expect((await run('start', id)).code).toBe(0);
  return id;
}

describe('create, start, list', () => {
  it('creates and starts a VM; list shows it as a table and as JSON', async () => {
    const id = uniqueSystemId('cli');
    const created = await run('create', id, '--config', writeConfig(keptDocument()));
    const sys = await hcsd.control.system(id);
    expect(created).toEqual({
      code: 0,
      stdout: `created ${id} (runtime id ${sys.runtimeId})\n`,
      stderr: '',
    });
    expect(sys.state).toBe('Created');
    expect(await run('start', id)).toEqual({ code: 0, stdout: `started ${id}\n`, stderr: '' });
    expect((await hcsd.control.system(id)).state).toBe('Running');

    const table = await run('list');
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +STATE +TYPE +OWNER +RUNTIME ID$/);
    const row = lines.find((l) => l.startsWith(`${id} `));
    expect(row?.split(/ {2,}/)).toEqual([id, 'Running', 'VirtualMachine', 'uvmctl-test', sys.runtimeId]);

    const json = await run('list', '--json');
    expect(json.code).toBe(0);
    const entry = (JSON.parse(json.stdout) as Record<string, unknown>[]).find((s) => s.Id === id);
    expect(entry).toMatchObject({
      Id: id,
      State: 'Running',
      SystemType: 'VirtualMachine',
      RuntimeId: sys.runtimeId,
    });

    const created2 = await run(
      '--json',
      'create',
      uniqueSystemId('cli'),
      '--config',
      writeConfig(keptDocument()),
    );
    expect(JSON.parse(created2.stdout)).toMatchObject({ state: 'Created' });
  }, 120_000);

  it('warns when the document would terminate the VM as uvmctl exits', async () => {
    const id = uniqueSystemId('cli');
    const r = await run(
      'create',
      id,
      '--config',
      writeConfig({ ...keptDocument(), ShouldTerminateOnLastHandleClosed: true }),
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^uvmctl: warning: .* sets ShouldTerminateOnLastHandleClosed: the VM is terminated when uvmctl exits/,
    );
    // And so it happened: the handle closed, the VM was terminated and torn down.
    expect((await hcsd.control.systems()).some((s) => s.id === id)).toBe(false);
  }, 60_000);

  it('refuses a second create with the same id (exit 5)', async () => {
    const id = await running();
    const r = await run('create', id, '--config', writeConfig(keptDocument()));
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/HCS_E_SYSTEM_ALREADY_EXISTS \(0x8037010F\)/);
  }, 60_000);
});

describe('errors and exit codes', () => {
  it('an unknown id: exit 3, one line naming it (and JSON with --json)', async () => {
    expect(await run('start', 'no-such-vm')).toEqual({
      code: 3,
      stdout: '',
      stderr: 'uvmctl: no compute system "no-such-vm" (HCS_E_SYSTEM_NOT_FOUND 0x8037010E)\n',
    });
    const r = await run('--json', 'inspect', 'no-such-vm');
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(JSON.parse(r.stderr)).toEqual({
      error: {
        code: 'HCS_E_SYSTEM_NOT_FOUND',
        message: 'HcsOpenComputeSystem "no-such-vm" failed with HCS_E_SYSTEM_NOT_FOUND (0x8037010E)',
        hresult: '0x8037010E',
        exitCode: 3,
      },
    });
  }, 60_000);

  it('a config with a bad field: exit 4, the field named, nothing created', async () => {
    const id = uniqueSystemId('cli');
    const doc = keptDocument() as unknown as {
      VirtualMachine: { ComputeTopology: { Memory: Record<string, unknown> } };
    };
    doc.VirtualMachine.ComputeTopology.Memory.SizeInMB = 'lots';
    const path = writeConfig(doc);
    const r = await run('create', id, '--config', path);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^uvmctl: ${path.replaceAll('.', '\\.')} is not a valid ComputeSystem document:\n  VirtualMachine\\.ComputeTopology\\.Memory\\.SizeInMB: `,
      ),
    );
    const j = await run('--json', 'create', id, '--config', path);
    expect(j.code).toBe(4);
    const err = (
      JSON.parse(j.stderr) as { error: { code: string; issues: { path: string }[]; exitCode: number } }
    ).error;
    expect(err.code).toBe('InvalidConfig');
    expect(err.exitCode).toBe(4);
    expect(err.issues.map((i) => i.path)).toContain('VirtualMachine.ComputeTopology.Memory.SizeInMB');
    expect((await hcsd.control.systems()).some((s) => s.id === id)).toBe(false);
  }, 60_000);

  it('not JSON, no VirtualMachine, a missing file: exit 4', async () => {
    const notJson = await run('create', 'x1', '--config', writeConfig('{"SchemaVersion": '));
    expect(notJson.code).toBe(4);
    expect(notJson.stderr).toMatch(/is not valid JSON: /);
    const noVm = await run(
      'create',
      'x1',
      '--config',
      writeConfig({ SchemaVersion: { Major: 2, Minor: 1 }, Container: {} }),
    );
    expect(noVm.code).toBe(4);
    expect(noVm.stderr).toMatch(/\n {2}VirtualMachine: is required for a utility VM\n$/);
    const missing = await run('create', 'x1', '--config', '/nonexistent/doc.json');
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/^uvmctl: cannot read \/nonexistent\/doc\.json: ENOENT/);
  }, 60_000);

  it('usage errors exit 2; --help exits 0 with examples and the exit codes', async () => {
    const bad = await run('frobnicate');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: unknown command 'frobnicate'/);
    const missing = await run('create', 'x');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '-c, --config <file>' not specified/);
    const help = await run('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/\nExamples:\n {2}\$ uvmctl hcsd --engine sim &/);
    expect(help.stdout).toMatch(/\nExit codes:\n {2}0 {4}success\n/);
    const sub = await run('scsi', 'add', '--help');
    expect(sub.code).toBe(0);
    expect(sub.stdout).toMatch(/--controller <n> +controller 0\.\.3/);
  }, 60_000);

  it('no service: exit 6', async () => {
    const r = await uvmctl('/tmp/uvmctl-no-such-hcsd.sock', ['list']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/HCS_E_SERVICE_NOT_AVAILABLE \(0x80370114\)/);
  }, 60_000);

  it('a bad argument is refused before anything is sent (exit 4)', async () => {
    const id = await running();
    const lun = await run('scsi', 'add', id, '--controller', '0', '--lun', '64', '--path', 'C:\\d.vhdx');
    expect(lun).toEqual({
      code: 4,
      stdout: '',
      stderr: 'uvmctl: --lun must be an integer 0..63, got "64"\n',
    });
    const nic = await run('nic', 'add', id, '../x', '--endpoint', 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f');
    expect(nic.code).toBe(4);
    expect(nic.stderr).toMatch(/^uvmctl: failed to add NIC/);
    expect(await hcsd.control.modifyLog(id)).toEqual([]);
  }, 60_000);

  it('a device slot already taken: exit 5', async () => {
    const id = await running();
    const add = ['scsi', 'add', id, '--controller', '0', '--lun', '2', '--path', 'C:\\a.vhdx'];
    expect((await run(...add)).code).toBe(0);
    const again = await run(...add);
    expect(again.code).toBe(5);
    expect(again.stderr).toMatch(
      /^uvmctl: failed to add SCSI disk at controller 0 LUN 2: .*ERROR_ALREADY_EXISTS/,
    );
  }, 60_000);
});

describe('lifecycle', () => {
  it('pause, save, resume, shutdown, wait, rm', async () => {
    const id = await running();
    expect(await run('pause', id)).toEqual({ code: 0, stdout: `paused ${id}\n`, stderr: '' });
    expect((await hcsd.control.system(id)).state).toBe('Paused');
    expect(await run('save', id, '--file', '/tmp/uvmctl-test.vmrs')).toEqual({
      code: 0,
      stdout: `saved ${id} to /tmp/uvmctl-test.vmrs\n`,
      stderr: '',
    });
    expect((await hcsd.control.system(id)).lastSave).toEqual({
      SaveType: 'ToFile',
      SaveStateFilePath: '/tmp/uvmctl-test.vmrs',
    });
    expect(await run('resume', id)).toEqual({ code: 0, stdout: `resumed ${id}\n`, stderr: '' });
    expect((await hcsd.control.system(id)).state).toBe('Running');
    const waiting = run('--json', 'wait', id);
    // The wait holds a handle: the VM stays listed after shutdown until that handle closes.
    await new Promise((r) => setTimeout(r, 1500));
    const down = await run('shutdown', id);
    expect(down).toEqual({
      code: 0,
      stdout: `shut down ${id} (GracefulExit, status 0x00000000)\n`,
      stderr: '',
    });
    const waited = await waiting;
    expect(waited.code).toBe(0);
    expect(JSON.parse(waited.stdout)).toMatchObject({
      id,
      state: 'Stopped',
      alreadyStopped: false,
      exit: { Status: 0, ExitType: 'GracefulExit' },
    });
    expect((await hcsd.control.systems()).some((s) => s.id === id)).toBe(false);
  }, 120_000);

  it('terminate, and rm of a running VM', async () => {
    const a = await running();
    const t = await run('--json', 'terminate', a);
    expect(t.code).toBe(0);
    expect(JSON.parse(t.stdout)).toMatchObject({
      id: a,
      state: 'Stopped',
      alreadyStopped: false,
      exit: { Status: 0, ExitType: 'ForcedExit' },
    });
    const b = await running();
    expect(await run('rm', b)).toEqual({ code: 0, stdout: `removed ${b}\n`, stderr: '' });
    expect((await hcsd.control.systems()).some((s) => s.id === b)).toBe(false);
    expect((await run('rm', b)).code).toBe(3);
  }, 120_000);

  it('pause of a VM that is not running: exit 5', async () => {
    const id = uniqueSystemId('cli');
    expect((await run('create', id, '--config', writeConfig(keptDocument()))).code).toBe(0);
    const r = await run('pause', id);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/HCS_E_INVALID_STATE/);
  }, 60_000);
});

describe('inspect', () => {
  it('prints properties and the device table; JSON has V2, V3 and devices', async () => {
    const id = await running();
    await run('scsi', 'add', id, '--controller', '1', '--lun', '3', '--path', 'C:\\i.vhdx');
    const sys = await hcsd.control.system(id);
    const human = await run('inspect', id);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^Id: +${id}\nState: +Running\nSystemType: +VirtualMachine\n`));
    expect(human.stdout).toContain(`RuntimeId:                   ${sys.runtimeId}\n`);
    expect(human.stdout).toContain(`\nDevices:\n  scsi: ${JSON.stringify(sys.devices.scsi)}\n`);
    const json = JSON.parse((await run('--json', 'inspect', id)).stdout) as Record<
      string,
      Record<string, unknown>
    >;
    expect(json.properties).toMatchObject({ Id: id, State: 'Running', TerminateOnLastHandleClosed: false });
    expect(json.properties?.Memory).toBeTypeOf('object');
    expect(Object.keys(json.propertiesV3 ?? {}).sort()).toEqual(['Memory', 'Statistics']);
    expect(json.devices).toEqual((await hcsd.control.system(id)).devices);
  }, 60_000);
});

describe('managers', () => {
  it('scsi add/rm sends the SCSI attachment documents', async () => {
    const id = await running();
    const guid = ScsiControllerGuids[0];
    expect(
      await run('scsi', 'add', id, '--controller', '0', '--lun', '1', '--path', 'C:\\d.vhdx', '--read-only'),
    ).toEqual({
      code: 0,
      stdout: `added SCSI disk C:\\d.vhdx at controller 0 LUN 1 of ${id}\n`,
      stderr: '',
    });
    expect((await hcsd.control.system(id)).devices.scsi[guid as string]).toEqual({
      '1': { Type: 'VirtualDisk', Path: 'C:\\d.vhdx', ReadOnly: true },
    });
    expect((await run('scsi', 'rm', id, '--controller', '0', '--lun', '1')).code).toBe(0);
    expect(await hcsd.control.modifyLog(id)).toEqual([
      {
        ResourcePath: `VirtualMachine/Devices/Scsi/${guid}/Attachments/1`,
        RequestType: 'Add',
        Settings: { Type: 'VirtualDisk', Path: 'C:\\d.vhdx', ReadOnly: true },
      },
      { ResourcePath: `VirtualMachine/Devices/Scsi/${guid}/Attachments/1`, RequestType: 'Remove' },
    ]);
  }, 60_000);

  it('nic, share, vpmem, mem and cpu', async () => {
    const id = await running();
    const nic = '7a3f12c4-5b6d-4e8f-9a0b-1c2d3e4f5a6b';
    const ep = 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f';
    const steps: [string[], string][] = [
      [['nic', 'add', id, nic, '--endpoint', ep, '--mac', '00-15-5D-52-C0-01'], `added NIC ${nic} to ${id}`],
      [['nic', 'rm', id, nic, '--endpoint', ep], `removed NIC ${nic} from ${id}`],
      [
        ['share', 'add', id, 'cfg', '--path', 'C:\\cfg', '--flags', '4'],
        `added Plan 9 share "cfg" (C:\\cfg) to ${id}`,
      ],
      [['share', 'rm', id, 'cfg'], `removed Plan 9 share "cfg" from ${id}`],
      [
        ['vpmem', 'add', id, '0', '--path', 'C:\\l.vhd', '--read-only'],
        `added VPMem device 0 (C:\\l.vhd) to ${id}`,
      ],
      [['vpmem', 'rm', id, '0'], `removed VPMem device 0 from ${id}`],
      [['mem', 'set', id, '2048'], `set the memory of ${id} to 2048 MB`],
      [['cpu', 'set', id, '--limit', '50000', '--weight', '200'], `set Limit 50000, Weight 200 on ${id}`],
    ];
    for (const [args, out] of steps)
      expect(await run(...args)).toEqual({ code: 0, stdout: `${out}\n`, stderr: '' });
    expect(await hcsd.control.modifyLog(id)).toEqual([
      {
        ResourcePath: `VirtualMachine/Devices/NetworkAdapters/${nic}`,
        RequestType: 'Add',
        Settings: { EndpointId: ep, MacAddress: '00-15-5D-52-C0-01' },
      },
      {
        ResourcePath: `VirtualMachine/Devices/NetworkAdapters/${nic}`,
        RequestType: 'Remove',
        Settings: { EndpointId: ep },
      },
      {
        ResourcePath: 'VirtualMachine/Devices/Plan9/Shares',
        RequestType: 'Add',
        Settings: { Name: 'cfg', AccessName: 'cfg', Path: 'C:\\cfg', Port: 564, Flags: 4 },
      },
      {
        ResourcePath: 'VirtualMachine/Devices/Plan9/Shares',
        RequestType: 'Remove',
        Settings: { Name: 'cfg', AccessName: 'cfg', Port: 564 },
      },
      {
        ResourcePath: 'VirtualMachine/Devices/VirtualPMem/Devices/0',
        RequestType: 'Add',
        Settings: { HostPath: 'C:\\l.vhd', ReadOnly: true, ImageFormat: 'Vhd1' },
      },
      { ResourcePath: 'VirtualMachine/Devices/VirtualPMem/Devices/0', RequestType: 'Remove' },
      { ResourcePath: 'VirtualMachine/ComputeTopology/Memory/SizeInMB', Settings: 2048 },
      {
        ResourcePath: 'VirtualMachine/ComputeTopology/Processor/Limits',
        Settings: { Limit: 50000, Weight: 200 },
      },
    ]);
    const sys = await hcsd.control.system(id);
    expect(sys.devices.memorySizeInMB).toBe(2048);
    const json = await run('--json', 'cpu', 'set', id, '--weight', '300');
    expect(JSON.parse(json.stdout)).toEqual({ id, cpu: { Weight: 300 } });
    const none = await run('cpu', 'set', id);
    expect(none).toEqual({
      code: 4,
      stdout: '',
      stderr: 'uvmctl: give --limit, --weight, --reservation or --group\n',
    });
  }, 120_000);
});

describe('guest', () => {
  it('mount and unmount a disk the host attached (the guest agent sees both)', async () => {
    const id = await running();
    expect(
      (await run('scsi', 'add', id, '--controller', '0', '--lun', '4', '--path', 'C:\\g.vhdx')).code,
    ).toBe(0);
    const m = await run('guest', 'mount', id, '--controller', '0', '--lun', '4', '--path', '/run/mounts/g');
    expect(m).toEqual({
      code: 0,
      stdout: `mounted controller 0 LUN 4 at /run/mounts/g in ${id}\n`,
      stderr: '',
    });
    const table = (await hcsd.control.guest(id)).table;
    expect(table.mappedVirtualDisks.map((d) => [d.MountPath, d.Controller, d.Lun, d.hostAttached])).toEqual([
      ['/run/mounts/g', 0, 4, true],
    ]);
    const u = await run(
      '--json',
      'guest',
      'unmount',
      id,
      '--controller',
      '0',
      '--lun',
      '4',
      '--path',
      '/run/mounts/g',
    );
    expect(u.code).toBe(0);
    expect(JSON.parse(u.stdout)).toEqual({
      id,
      unmounted: { MountPath: '/run/mounts/g', Controller: 0, Lun: 4 },
    });
    expect((await hcsd.control.guest(id)).table.mappedVirtualDisks).toEqual([]);
    // A disk the host did not attach: the guest answers ERROR_NOT_FOUND → exit 3.
    const missing = await run(
      'guest',
      'mount',
      id,
      '--controller',
      '0',
      '--lun',
      '9',
      '--path',
      '/run/mounts/h',
    );
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/ERROR_NOT_FOUND/);
  }, 120_000);
});

describe('--trace', () => {
  it('prints each call as it happens, with the resource path and HRESULT', async () => {
    const id = await running();
    const r = await run(
      '--trace',
      'scsi',
      'add',
      id,
      '--controller',
      '0',
      '--lun',
      '5',
      '--path',
      'C:\\t.vhdx',
    );
    expect(r.code).toBe(0);
    const path = `VirtualMachine/Devices/Scsi/${ScsiControllerGuids[0]}/Attachments/5`;
    const lines = r.stderr
      .trimEnd()
      .split('\n')
      .map((l) => l.replace(/ \d+\.\d ms$/, ' N ms'));
    expect(lines).toEqual([
      `trace: → HcsOpenComputeSystem vm=${id}`,
      `trace: ← HcsOpenComputeSystem vm=${id} 0x00000000 N ms`,
      `trace: → HcsGetComputeSystemProperties vm=${id}`,
      `trace: ← HcsGetComputeSystemProperties vm=${id} 0x00000000 N ms`,
      `trace: → UtilityVM.modify vm=${id} request=Add resource=${path}`,
      `trace: → HcsModifyComputeSystem vm=${id}`,
      `trace: ← HcsModifyComputeSystem vm=${id} 0x00000000 N ms`,
      `trace: ← UtilityVM.modify vm=${id} request=Add resource=${path} 0x00000000 N ms`,
      `trace: → HcsCloseComputeSystem vm=${id}`,
      `trace: ← HcsCloseComputeSystem vm=${id} 0x00000000 N ms`,
    ]);
    const t = await run('--trace', '--json', 'terminate', id);
    const events = t.stderr
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.filter((e) => e.operation === 'HcsTerminateComputeSystem').map((e) => e.trace)).toEqual([
      'start',
      'end',
    ]);
    expect(events.find((e) => e.trace === 'state')).toEqual({
      trace: 'state',
      vmId: id,
      state: 'Stopped',
      cause: 'SystemExited',
      exitType: 'ForcedExit',
    });
    const failed = await run('--trace', 'start', 'no-such-vm');
    expect(failed.stderr.split('\n')[1]).toMatch(
      /^trace: ✗ HcsOpenComputeSystem vm=no-such-vm 0x8037010E HCS_E_SYSTEM_NOT_FOUND \d+\.\d ms$/,
    );
  }, 120_000);
});

describe('the Windows guide’s documents (docs/examples)', () => {
  it.each(['lcow.json', 'wcow.json'])(
    '%s validates and hcsd accepts it',
    async (name) => {
      const path = fileURLToPath(new URL(`../../../docs/examples/${name}`, import.meta.url));
      const id = uniqueSystemId('cli-doc');
      const r = await run('create', id, '--config', path);
      expect(r).toEqual({
        code: 0,
        stdout: expect.stringMatching(new RegExp(`^created ${id} `)),
        stderr: '',
      });
      const sys = await hcsd.control.system(id);
      expect(sys.config).toEqual(JSON.parse(readFileSync(path, 'utf8')));
      expect((await run('start', id)).code).toBe(0);
      expect((await run('rm', id)).code).toBe(0);
    },
    60_000,
  );
});
