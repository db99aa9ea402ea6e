/** Test helpers: a typed wrapper over HcsdClient and small VM documents. */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  statSync,
  unlinkSync,
  utimesSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScsiControllerGuids } from '@uvmkit/hcs-schema';
import { HcsdClient, type HcsdEvent, type HcsdResponse } from '../../src/client.js';
import type { MethodName } from '../../src/hcsd/methods.js';

export const SCSI0 = ScsiControllerGuids[0];
export const SCSI1 = ScsiControllerGuids[1];

/** A minimal valid VM document (one SCSI controller, VPMem with MaximumCount 4, GuestConnection). */
export function vmConfig(
  extra: { Owner?: string; terminate?: boolean; linux?: boolean; devices?: Record<string, unknown> } = {},
): Record<string, unknown> {
  return {
    SchemaVersion: { Major: 2, Minor: 1 },
    ...(extra.Owner === undefined ? {} : { Owner: extra.Owner }),
    ...(extra.terminate === undefined ? {} : { ShouldTerminateOnLastHandleClosed: extra.terminate }),
    VirtualMachine: {
      Chipset: extra.linux
        ? { LinuxKernelDirect: { KernelFilePath: '/boot/vmlinux', InitRdPath: '/boot/initrd.img' } }
        : { Uefi: {} },
      ComputeTopology: { Memory: { SizeInMB: 1024 }, Processor: { Count: 2 } },
      Devices: extra.devices ?? {
        Scsi: { [SCSI0]: { Attachments: {} } },
        VirtualPMem: { MaximumCount: 4 },
      },
      GuestConnection: { UseVsock: true },
    },
  };
}

export interface Result {
  hresult: number;
  value: bigint;
  document: string | null;
  /** parsed document (or undefined when absent) */
  json: unknown;
}

function wrap(r: HcsdResponse): Result {
  return { ...r, json: r.document === null ? undefined : JSON.parse(r.document) };
}

/** A client process stand-in. */
export class TestClient {
  readonly raw: HcsdClient;
  readonly events: HcsdEvent[] = [];

  private constructor(raw: HcsdClient) {
    this.raw = raw;
    raw.onEvent((e) => this.events.push(e));
  }

  static async connect(socketPath: string, name = 'test'): Promise<TestClient> {
    const raw = await HcsdClient.connect(socketPath);
    await raw.request('Hello', 0n, [name, String(process.pid), '1']);
    return new TestClient(raw);
  }

  async call(method: MethodName | number, token: bigint, args: (string | null)[] = []): Promise<Result> {
    return wrap(await this.raw.request(method, token, args));
  }

  /** Create and return the token (throws on failure). */
  async create(id: string, config: unknown = vmConfig()): Promise<bigint> {
    const r = await this.call('Create', 0n, [id, JSON.stringify(config)]);
    if (r.hresult !== 0) throw new Error(`create ${id} failed: ${r.document}`);
    return r.value;
  }

  /** Create + Start. */
  async running(id: string, config: unknown = vmConfig()): Promise<bigint> {
    const t = await this.create(id, config);
    const r = await this.call('Start', t);
    if (r.hresult !== 0) throw new Error(`start ${id} failed: ${r.document}`);
    return t;
  }

  modify(token: bigint, request: unknown): Promise<Result> {
    return this.call('Modify', token, [JSON.stringify(request)]);
  }

  async props(token: bigint, query?: unknown): Promise<Record<string, unknown>> {
    const r = await this.call('GetProperties', token, query === undefined ? [] : [JSON.stringify(query)]);
    if (r.hresult !== 0) throw new Error(`properties failed: ${r.document}`);
    return r.json as Record<string, unknown>;
  }

  close(): Promise<void> {
    return this.raw.close();
  }
}

/** Wait until `predicate()` holds (polling), or fail after `ms`. */
export async function until(predicate: () => boolean | Promise<boolean>, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The int32 spelling of an HRESULT (as in ResultError.Error). */
export const i32 = (hr: number): number => hr | 0;

/** Parsed ResultError of a failed call. */
export function resultError(r: Result): { Error: number; ErrorMessage: string } {
  return r.json as { Error: number; ErrorMessage: string };
}

/**
 * The daemon under test runs from dist/ (a child process cannot load src/*.ts): rebuild dist
 * (incremental tsc) when a src file is newer than the last build, so tests never run stale code.
 * One vitest worker builds (lock file); the others wait for it.
 */
function ensureBuilt(): void {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const info = join(root, 'dist/.tsbuildinfo');
  let newest = 0;
  for (const e of readdirSync(join(root, 'src'), { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.ts'))
      newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  const fresh = (): boolean =>
    existsSync(join(root, 'dist/hcsd/cli.js')) && existsSync(info) && statSync(info).mtimeMs >= newest;
  if (fresh()) return;
  mkdirSync(join(root, 'dist'), { recursive: true });
  const lock = join(root, 'dist/.test-build.lock');
  let fd: number;
  try {
    fd = openSync(lock, 'wx');
  } catch {
    const end = Date.now() + 120_000;
    while (existsSync(lock) && Date.now() < end)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    if (!fresh())
      throw new Error('packages/hcs-emulator: dist is stale and another worker failed to rebuild it');
    return;
  }
  try {
    const local = join(root, '../../node_modules/.bin/tsc');
    const [cmd, args] = existsSync(local) ? [local, []] : ['npx', ['tsc']];
    execFileSync(cmd, [...args, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
    const now = new Date();
    utimesSync(info, now, now);
  } finally {
    closeSync(fd);
    unlinkSync(lock);
  }
}
ensureBuilt();
