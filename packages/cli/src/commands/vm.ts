/**
 * The VM commands: list, inspect, create, start, shutdown, terminate, pause, resume, save, wait, rm.
 * Each opens the VM by id (or creates it), makes its calls, closes its handle and returns a Result.
 */
import { ComputeSystem, type SystemExitStatus, UtilityVM } from '@uvmkit/hcs-core';
import { defaultSocketPath, HcsdControl } from '@uvmkit/hcs-emulator';
import type { PropertyType } from '@uvmkit/hcs-schema';
import { loadConfig } from '../config.js';
import type { Cli } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { fields, type Result, table } from '../output.js';

const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);

/** `list`: every compute system (HcsEnumerateComputeSystems). */
export async function list(cli: Cli): Promise<Result> {
  const systems = await ComputeSystem.enumerate(undefined, cli.call());
  const rows = systems.map((s) => [
    str(s.Id),
    str(s.State),
    str(s.SystemType),
    str(s.Owner),
    str(s.RuntimeId),
  ]);
  return {
    json: systems,
    human:
      systems.length === 0
        ? 'no compute systems'
        : table(['ID', 'STATE', 'TYPE', 'OWNER', 'RUNTIME ID'], rows),
  };
}

/** The V2 property types `inspect` asks for. */
export const INSPECT_PROPERTY_TYPES: readonly PropertyType[] = [
  'Memory',
  'Statistics',
  'TerminateOnLastHandleClosed',
  'GuestConnection',
];
/** The V3 queries `inspect` sends. */
export const INSPECT_V3_QUERIES = ['Memory', 'Statistics'] as const;

/**
 * The device table, when the service is the emulator and serves its control socket beside the
 * main one (`<socket>.control`, as `uvmctl hcsd` and `startHcsd` start it): HCS itself has no
 * query for it. `undefined` otherwise.
 */
async function emulatorDevices(id: string): Promise<Record<string, unknown> | undefined> {
  if (process.platform === 'win32') return undefined;
  let control: HcsdControl;
  try {
    control = await HcsdControl.connect(`${defaultSocketPath()}.control`);
  } catch {
    return undefined;
  }
  try {
    const { devices } = await control.system(id);
    return devices as unknown as Record<string, unknown>;
  } finally {
    await control.close();
  }
}

function nonEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.values(value).some(nonEmpty);
  return true;
}

/** `inspect ID`: V2 properties, the V3 response, and (on the emulator) the device table. */
export async function inspect(cli: Cli, id: string): Promise<Result> {
  await using vm = await cli.open(id);
  const v2 = await vm.properties(INSPECT_PROPERTY_TYPES, cli.call());
  const v3 = await vm.propertiesV3(
    { Queries: Object.fromEntries(INSPECT_V3_QUERIES.map((q) => [q, {}])) } as never,
    cli.call(),
  );
  const devices = await emulatorDevices(id);
  const json = {
    id: vm.id,
    runtimeId: vm.runtimeId,
    properties: v2,
    propertiesV3: v3.PropertyResponses,
    devices: devices ?? null,
  };
  const lines = [
    fields([
      ['Id', vm.id],
      ['State', v2.State],
      ['SystemType', v2.SystemType],
      ['RuntimeOsType', v2.RuntimeOsType],
      ['Owner', v2.Owner],
      ['RuntimeId', vm.runtimeId],
      ['Memory', v2.Memory],
      ['Statistics', v2.Statistics],
      ['TerminateOnLastHandleClosed', v2.TerminateOnLastHandleClosed],
    ]),
  ];
  if (devices === undefined) {
    lines.push('Devices: (HCS reports no device list; see the create document and your own changes)');
  } else {
    const entries = Object.entries(devices).filter(([, v]) => nonEmpty(v));
    lines.push('Devices:', ...entries.map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`));
  }
  return { json, human: lines.join('\n') };
}

/** `create ID --config doc.json`: validate, create, close the handle. */
export async function create(cli: Cli, id: string, configPath: string): Promise<Result> {
  const config = await loadConfig(configPath);
  if (config.ShouldTerminateOnLastHandleClosed === true) {
    cli.warn(
      `${configPath} sets ShouldTerminateOnLastHandleClosed: the VM is terminated when uvmctl exits (its handle closes); set it to false to keep the VM`,
    );
  }
  const vm = await cli.progress(`creating ${id}`, UtilityVM.create(id, config, cli.call()));
  const runtimeId = vm.runtimeId;
  await vm.close();
  return { json: { id, runtimeId, state: 'Created' }, human: `created ${id} (runtime id ${runtimeId})` };
}

type Verb = 'start' | 'pause' | 'resume';

async function simple(cli: Cli, id: string, verb: Verb, state: string): Promise<Result> {
  await using vm = await cli.open(id);
  const label = verb === 'start' ? `starting ${id}` : `${verb === 'pause' ? 'pausing' : 'resuming'} ${id}`;
  if (verb === 'pause') await cli.progress(label, vm.pause(undefined, cli.call()));
  else await cli.progress(label, vm[verb](cli.call()));
  return { json: { id, state }, human: `${verb === 'start' ? 'started' : `${verb}d`} ${id}` };
}

/** `start ID`. */
export const start = (cli: Cli, id: string): Promise<Result> => simple(cli, id, 'start', 'Running');
/** `pause ID`. */
export const pause = (cli: Cli, id: string): Promise<Result> => simple(cli, id, 'pause', 'Paused');
/** `resume ID`. */
export const resume = (cli: Cli, id: string): Promise<Result> => simple(cli, id, 'resume', 'Running');

/** `save ID --file PATH`: a paused VM's state to a file. */
export async function save(cli: Cli, id: string, file: string): Promise<Result> {
  await using vm = await cli.open(id);
  await cli.progress(
    `saving ${id} to ${file}`,
    vm.save({ SaveType: 'ToFile', SaveStateFilePath: file }, cli.call()),
  );
  return { json: { id, saved: file }, human: `saved ${id} to ${file}` };
}

function exitJson(
  id: string,
  status: SystemExitStatus | undefined,
  already: boolean,
): Record<string, unknown> {
  return { id, state: 'Stopped', alreadyStopped: already, exit: status ?? null };
}

function exitLine(verb: string, id: string, status: SystemExitStatus | undefined): string {
  if (status === undefined) return `${id} had already stopped`;
  return `${verb} ${id} (${status.ExitType ?? 'exit'}, status 0x${(status.Status >>> 0).toString(16).padStart(8, '0')})`;
}

/** Whether the VM is already stopped (an exit that happened before this handle was opened sends no event). */
async function stopped(cli: Cli, vm: UtilityVM): Promise<boolean> {
  const props = await vm.properties([], cli.call());
  return props.State === 'Stopped';
}

/** `shutdown ID` / `terminate ID`: stop it and wait for the exit. */
export async function stop(cli: Cli, id: string, how: 'shutdown' | 'terminate'): Promise<Result> {
  await using vm = await cli.open(id);
  if (await stopped(cli, vm))
    return { json: exitJson(id, undefined, true), human: exitLine('', id, undefined) };
  const status =
    how === 'shutdown'
      ? await cli.progress(`shutting down ${id}`, vm.shutdown(undefined, cli.call()))
      : await cli.progress(`terminating ${id}`, vm.terminate(cli.call()));
  return {
    json: exitJson(id, status, false),
    human: exitLine(how === 'shutdown' ? 'shut down' : 'terminated', id, status),
  };
}

/** `wait ID`: until the VM exits. */
export async function wait(cli: Cli, id: string): Promise<Result> {
  await using vm = await cli.open(id);
  if (await stopped(cli, vm))
    return { json: exitJson(id, undefined, true), human: exitLine('', id, undefined) };
  const status = await cli.progress(`waiting for ${id} to exit`, vm.wait({ signal: cli.signal }));
  return { json: exitJson(id, status, false), human: exitLine('exited:', id, status) };
}

/**
 * `rm ID`: terminate it unless it already stopped, then close the handle. HCS removes a stopped
 * system once its last handle is closed, so other processes' handles keep it listed until they close.
 */
export async function rm(cli: Cli, id: string): Promise<Result> {
  const vm = await cli.open(id);
  try {
    if (!(await stopped(cli, vm))) await cli.progress(`terminating ${id}`, vm.terminate(cli.call()));
  } finally {
    await vm.close();
  }
  return { json: { id, removed: true }, human: `removed ${id}` };
}

/** Refuse an option value that is not an integer in range. */
export function intOption(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliError(
      'InvalidOption',
      `${name} must be an integer ${min}..${max}, got ${JSON.stringify(value)}`,
      ExitCode.InvalidInput,
    );
  }
  return n;
}
