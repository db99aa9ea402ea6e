/**
 * The manager commands: `scsi add|rm`, `nic add|rm`, `share add|rm` (Plan 9), `vpmem add|rm`,
 * `mem set`, `cpu set`. Each is one manager method on the opened VM; the manager builds and
 * validates the document (a bad value is refused before anything is sent, naming the field).
 */
import type { Cli } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import type { Result } from '../output.js';
import { intOption } from './vm.js';

/** Options of `scsi add`. */
export interface ScsiAddOptions {
  controller: string;
  lun: string;
  path: string;
  type?: string;
  readOnly?: boolean;
}

/** `scsi add ID --controller N --lun N --path P`. */
export async function scsiAdd(cli: Cli, id: string, o: ScsiAddOptions): Promise<Result> {
  const controller = intOption('--controller', o.controller, 0, 3);
  const lun = intOption('--lun', o.lun, 0, 63);
  await using vm = await cli.open(id);
  const attachment = {
    Type: o.type ?? 'VirtualDisk',
    Path: o.path,
    ...(o.readOnly ? { ReadOnly: true } : {}),
  };
  await vm.addSCSIDisk(attachment as never, controller, lun, cli.call());
  return {
    json: { id, scsi: { controller, lun, attachment }, action: 'added' },
    human: `added SCSI disk ${o.path} at controller ${controller} LUN ${lun} of ${id}`,
  };
}

/** `scsi rm ID --controller N --lun N`. */
export async function scsiRm(cli: Cli, id: string, o: { controller: string; lun: string }): Promise<Result> {
  const controller = intOption('--controller', o.controller, 0, 3);
  const lun = intOption('--lun', o.lun, 0, 63);
  await using vm = await cli.open(id);
  await vm.removeSCSIDisk(controller, lun, cli.call());
  return {
    json: { id, scsi: { controller, lun }, action: 'removed' },
    human: `removed SCSI disk at controller ${controller} LUN ${lun} of ${id}`,
  };
}

/** `nic add ID NIC --endpoint GUID [--mac MAC]`. */
export async function nicAdd(
  cli: Cli,
  id: string,
  nic: string,
  o: { endpoint: string; mac?: string },
): Promise<Result> {
  await using vm = await cli.open(id);
  const adapter = { EndpointId: o.endpoint, ...(o.mac === undefined ? {} : { MacAddress: o.mac }) };
  await vm.addNIC(nic, adapter, cli.call());
  return { json: { id, nic: { id: nic, ...adapter }, action: 'added' }, human: `added NIC ${nic} to ${id}` };
}

/** `nic rm ID NIC --endpoint GUID`. */
export async function nicRm(cli: Cli, id: string, nic: string, o: { endpoint: string }): Promise<Result> {
  await using vm = await cli.open(id);
  await vm.removeNIC(nic, { EndpointId: o.endpoint }, cli.call());
  return { json: { id, nic: { id: nic }, action: 'removed' }, human: `removed NIC ${nic} from ${id}` };
}

/** Options of `share add`. */
export interface ShareAddOptions {
  path: string;
  port?: string;
  accessName?: string;
  flags?: string;
}

/** `share add ID NAME --path P [--port 564] [--access-name A] [--flags N]` (Plan 9). */
export async function shareAdd(cli: Cli, id: string, name: string, o: ShareAddOptions): Promise<Result> {
  const share = {
    Name: name,
    AccessName: o.accessName ?? name,
    Path: o.path,
    Port: o.port === undefined ? 564 : intOption('--port', o.port, 0, 0xffffffff),
    ...(o.flags === undefined ? {} : { Flags: intOption('--flags', o.flags, 0, 0xffffffff) }),
  };
  await using vm = await cli.open(id);
  await vm.addPlan9(share, cli.call());
  return { json: { id, share, action: 'added' }, human: `added Plan 9 share "${name}" (${o.path}) to ${id}` };
}

/** `share rm ID NAME [--port 564] [--access-name A]`. */
export async function shareRm(
  cli: Cli,
  id: string,
  name: string,
  o: { port?: string; accessName?: string },
): Promise<Result> {
  const share = {
    Name: name,
    AccessName: o.accessName ?? name,
    Port: o.port === undefined ? 564 : intOption('--port', o.port, 0, 0xffffffff),
  };
  await using vm = await cli.open(id);
  await vm.removePlan9(share, cli.call());
  return {
    json: { id, share: { Name: name }, action: 'removed' },
    human: `removed Plan 9 share "${name}" from ${id}`,
  };
}

/** `vpmem add ID N --path P [--read-only] [--format Vhd1|Vhdx]`. */
export async function vpmemAdd(
  cli: Cli,
  id: string,
  device: string,
  o: { path: string; readOnly?: boolean; format?: string },
): Promise<Result> {
  const n = intOption('DEVICE', device, 0, 127);
  const settings = { HostPath: o.path, ReadOnly: o.readOnly === true, ImageFormat: o.format ?? 'Vhd1' };
  await using vm = await cli.open(id);
  await vm.addVPMemDevice(n, settings as never, cli.call());
  return {
    json: { id, vpmem: { device: n, ...settings }, action: 'added' },
    human: `added VPMem device ${n} (${o.path}) to ${id}`,
  };
}

/** `vpmem rm ID N`. */
export async function vpmemRm(cli: Cli, id: string, device: string): Promise<Result> {
  const n = intOption('DEVICE', device, 0, 127);
  await using vm = await cli.open(id);
  await vm.removeVPMemDevice(n, cli.call());
  return {
    json: { id, vpmem: { device: n }, action: 'removed' },
    human: `removed VPMem device ${n} from ${id}`,
  };
}

/** `mem set ID MB`. */
export async function memSet(cli: Cli, id: string, mb: string): Promise<Result> {
  const size = intOption('MB', mb, 1, Number.MAX_SAFE_INTEGER);
  await using vm = await cli.open(id);
  await cli.progress(`resizing the memory of ${id}`, vm.updateMemory(size, cli.call()));
  return { json: { id, memory: { SizeInMB: size } }, human: `set the memory of ${id} to ${size} MB` };
}

/** `cpu set ID [--limit N] [--weight N] [--reservation N] [--group GUID]`. */
export async function cpuSet(
  cli: Cli,
  id: string,
  o: { limit?: string; weight?: string; reservation?: string; group?: string },
): Promise<Result> {
  const limits: Record<string, number> = {};
  if (o.limit !== undefined) limits.Limit = intOption('--limit', o.limit, 0, 100_000);
  if (o.weight !== undefined) limits.Weight = intOption('--weight', o.weight, 0, 10_000);
  if (o.reservation !== undefined) limits.Reservation = intOption('--reservation', o.reservation, 0, 100_000);
  if (Object.keys(limits).length === 0 && o.group === undefined) {
    throw new CliError(
      'InvalidOption',
      'give --limit, --weight, --reservation or --group',
      ExitCode.InvalidInput,
    );
  }
  await using vm = await cli.open(id);
  if (o.group !== undefined) await vm.setCPUGroup(o.group, cli.call());
  if (Object.keys(limits).length > 0) await vm.updateCPULimits(limits, cli.call());
  const done = [
    ...(o.group === undefined ? [] : [`CPU group ${o.group}`]),
    ...Object.entries(limits).map(([k, v]) => `${k} ${v}`),
  ];
  return {
    json: { id, cpu: { ...(o.group === undefined ? {} : { CpuGroup: o.group }), ...limits } },
    human: `set ${done.join(', ')} on ${id}`,
  };
}
