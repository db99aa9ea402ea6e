/**
 * A small host side of the GCS bridge for the guest-agent tests: listens at the emulator's
 * HvSocket path of (vmId, service), accepts one connection, frames requests and collects every
 * frame the guest sends. Deliberately independent of the agent's codec.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScsiControllerGuids } from '@uvmkit/hcs-schema';
import { type HcsdProcess, startHcsd } from '../../src/start.js';
import { lcowDocument } from '../../src/testing.js';
import { TestClient } from './hcsd.js';

export const LINUX_GCS = '40000000-facb-11e6-bd58-64006a7986d3';
export const WINDOWS_GCS = 'acef5661-84a1-4e44-856b-6245e69f4620';
export const NULL_ID = '00000000-0000-0000-0000-000000000000';

export const T = {
  Create: 0x10100101,
  Start: 0x10100201,
  ShutdownForced: 0x10100401,
  ExecuteProcess: 0x10100501,
  GetProperties: 0x10100901,
  ModifySettings: 0x10100a01,
  NegotiateProtocol: 0x10100b01,
  DumpStacks: 0x10100c01,
  DeleteContainerState: 0x10100d01,
  UpdateContainer: 0x10100e01,
} as const;

export interface Frame {
  type: number;
  size: number;
  id: bigint;
  payload: Buffer;
  /** parsed payload, or undefined when it is not JSON */
  json: Record<string, unknown> | undefined;
}

export function frame(type: number, id: bigint, payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const h = Buffer.alloc(16);
  h.writeUInt32LE(type >>> 0, 0);
  h.writeUInt32LE(16 + body.length, 4);
  h.writeBigUInt64LE(id, 8);
  return Buffer.concat([h, body]);
}

/** A temp dir to use as UVMKIT_HVSOCK_DIR, removed by `dispose`. */
export function hvsockTempDir(): { dir: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'uvmkit-hv-'));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export function sockPath(dir: string, vmId: string, service = LINUX_GCS): string {
  return join(dir, `${vmId.toLowerCase()}-${service}.sock`);
}

/** One accepted bridge connection. */
export class Bridge {
  readonly socket: Socket;
  readonly frames: Frame[] = [];
  #buf = Buffer.alloc(0);
  #nextId = 0n;
  #waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  readonly closed: Promise<void>;
  /** set when the guest sent a frame whose Size field is < 16 (the stream is then unusable) */
  badSize: number | undefined;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (c: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, c]);
      while (this.#buf.length >= 16 && this.badSize === undefined) {
        const size = this.#buf.readUInt32LE(4);
        if (size < 16) {
          this.badSize = size;
          return;
        }
        if (this.#buf.length < size) return;
        const payload = this.#buf.subarray(16, size);
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(payload.toString('utf8'));
        } catch {}
        const f: Frame = {
          type: this.#buf.readUInt32LE(0),
          size,
          id: this.#buf.readBigUInt64LE(8),
          payload: Buffer.from(payload),
          json,
        };
        this.#buf = this.#buf.subarray(size);
        this.frames.push(f);
        const i = this.#waiters.findIndex((w) => w.pred(f));
        if (i >= 0) this.#waiters.splice(i, 1)[0]!.resolve(f);
      }
    });
    socket.on('error', () => {});
    this.closed = new Promise((r) => socket.on('close', () => r()));
  }

  /** The next frame matching `pred` (already received or future). */
  next(pred: (f: Frame) => boolean, ms = 3000): Promise<Frame> {
    const seen = this.frames.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        pred,
        resolve: (f: Frame) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error('no matching frame in time'));
      }, ms);
      this.#waiters.push(waiter);
    });
  }

  /** Send a request (JSON body, Go-style trailing newline); returns its ID. */
  send(type: number, body: unknown, id = this.#nextId++): bigint {
    this.socket.write(frame(type, id, `${JSON.stringify(body)}\n`));
    return id;
  }

  /** Send and wait for the response with the same ID. */
  async call(type: number, body: unknown): Promise<Frame> {
    const id = this.send(type, body);
    return this.next((f) => f.id === id && f.type >>> 28 === 2);
  }

  negotiate(min = 4, max = 4): Promise<Frame> {
    return this.call(T.NegotiateProtocol, {
      ContainerId: '',
      ActivityId: NULL_ID,
      MinimumVersion: min,
      MaximumVersion: max,
    });
  }

  modify(request: unknown, containerId = NULL_ID): Promise<Frame> {
    return this.call(T.ModifySettings, { ContainerId: containerId, ActivityId: NULL_ID, Request: request });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A listener at the HvSocket path; `accept()` resolves with the next bridge. */
export class HostListener {
  readonly server: Server;
  readonly path: string;
  readonly #queue: Bridge[] = [];
  readonly #waiters: ((b: Bridge) => void)[] = [];
  accepted = 0;

  private constructor(server: Server, path: string) {
    this.server = server;
    this.path = path;
    server.on('connection', (s) => {
      this.accepted++;
      const b = new Bridge(s);
      const w = this.#waiters.shift();
      if (w) w(b);
      else this.#queue.push(b);
    });
  }

  static async listen(path: string): Promise<HostListener> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    return new HostListener(server, path);
  }

  accept(ms = 3000): Promise<Bridge> {
    const q = this.#queue.shift();
    if (q) return Promise.resolve(q);
    return new Promise((resolve, reject) => {
      const waiter = (b: Bridge): void => {
        clearTimeout(timer);
        resolve(b);
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error('no guest connection in time'));
      }, ms);
      this.#waiters.push(waiter);
    });
  }

  /** Stop listening (removes the socket file); accepted bridges stay open. */
  close(): void {
    this.server.close();
  }
}

/** One hcsd with an HvSocket temp dir and a host client; VMs listened for before they start. */
export class GuestHarness {
  readonly hcsd: HcsdProcess;
  readonly c: TestClient;
  readonly dir: { dir: string; dispose(): void };
  #n = 0;

  private constructor(hcsd: HcsdProcess, c: TestClient, dir: { dir: string; dispose(): void }) {
    this.hcsd = hcsd;
    this.c = c;
    this.dir = dir;
  }

  static async start(): Promise<GuestHarness> {
    const dir = hvsockTempDir();
    const hcsd = await startHcsd({ env: { UVMKIT_HVSOCK_DIR: dir.dir } });
    const c = await TestClient.connect(hcsd.socketPath);
    return new GuestHarness(hcsd, c, dir);
  }

  async stop(): Promise<void> {
    await this.c.close();
    await this.hcsd.stop();
    this.dir.dispose();
  }

  /** Create a VM (LCOW by default), listen at its GCS path, optionally arm faults, start it. */
  async vm(
    options: { config?: unknown; windows?: boolean; before?: (id: string) => Promise<void> } = {},
  ): Promise<{ id: string; t: bigint; runtimeId: string; listener: HostListener }> {
    const id = `g-${process.pid}-${++this.#n}`;
    const config = options.config ?? (options.windows ? windowsDocument() : lcowDocument());
    const t = await this.c.create(id, config);
    const { runtimeId } = await this.hcsd.control.system(id);
    const listener = await HostListener.listen(
      sockPath(this.dir.dir, runtimeId, options.windows ? WINDOWS_GCS : LINUX_GCS),
    );
    await options.before?.(id);
    const r = await this.c.call('Start', t);
    if (r.hresult !== 0) throw new Error(`start failed: ${r.document}`);
    return { id, t, runtimeId, listener };
  }

  /** A started VM whose guest is connected and negotiated; the listener is closed. */
  async connected(
    options: { config?: unknown; windows?: boolean; negotiate?: boolean } = {},
  ): Promise<{ id: string; t: bigint; runtimeId: string; b: Bridge; listener: HostListener }> {
    const v = await this.vm(options);
    const b = await v.listener.accept();
    v.listener.close();
    if (options.negotiate !== false) {
      const f = await b.negotiate();
      if (f.json?.Result !== 0) throw new Error(`negotiate failed: ${f.payload}`);
    }
    return { ...v, b };
  }

  /** Host-side Modify (throws unless S_OK). */
  async hostModify(t: bigint, request: unknown): Promise<void> {
    const r = await this.c.modify(t, request);
    if (r.hresult !== 0) throw new Error(`host modify failed: ${r.document}`);
  }
}

/** A Windows utility-VM document (UEFI boot) asking for a guest connection. */
export function windowsDocument(): Record<string, unknown> {
  return {
    SchemaVersion: { Major: 2, Minor: 1 },
    Owner: 'uvmkit-test',
    ShouldTerminateOnLastHandleClosed: true,
    VirtualMachine: {
      Chipset: {
        Uefi: { BootThis: { DeviceType: 'VmbFs', DevicePath: '\\EFI\\Microsoft\\Boot\\bootmgfw.efi' } },
      },
      ComputeTopology: { Memory: { SizeInMB: 1024 }, Processor: { Count: 2 } },
      Devices: {
        Scsi: { [ScsiControllerGuids[0]]: { Attachments: {} } },
        VirtualSmb: { Shares: [] },
        HvSocket: { HvSocketConfig: { DefaultBindSecurityDescriptor: 'D:P(A;;FA;;;SY)' } },
      },
      GuestConnection: { UseVsock: false, UseConnectedSuspend: true },
    },
  };
}
