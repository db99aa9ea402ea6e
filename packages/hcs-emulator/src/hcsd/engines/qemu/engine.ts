/**
 * hcsd's qemu engine: each compute system is one QEMU process (q35, PVH kernel, TCG or KVM),
 * driven over QMP. Start spawns and boots (or restores from `RestoreState`); Pause/Resume are
 * `stop`/`cont`; Save is `migrate exec:cat > file` with a `<file>.uvmkit.json` sidecar holding the
 * PCI placement of hot-added devices (a restore needs the very same topology); Shutdown is ACPI
 * `system_powerdown` with a timeout, then a kill; Terminate is `quit`, then a kill; Crash kills
 * QEMU at once. Exits the service did not ask for are reported through `EngineHost.exited`.
 *
 * QEMU never outlives hcsd (`setpriv --pdeathsig KILL`) or its VM record (killed on every path);
 * its stdout/stderr and the serial console go to `<vmDir>/vm.log`, readable through inspection.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type {
  Engine,
  EngineHost,
  EngineStatistics,
  EngineVm,
  ExitDetail,
  Logger,
  ModifyCall,
  SaveCall,
  SystemView,
} from '../../engine.js';
import { fail, HcsdFailure, HR } from '../../errors.js';
import { isObj, type Obj } from '../../json.js';
import type { ExitType } from '../../system.js';
import { type AccelProbe, probeAccel } from './accel.js';
import { CpuLimiter } from './cgroup.js';
import { buildCmdline, type VmPlan } from './cmdline.js';
import { type ModifyContext, realizeModify } from './modify.js';
import { preflight } from './preflight.js';
import { describeExit, QemuProcess } from './process.js';
import { QmpClient } from './qmp.js';
import { RelayHost } from './relay.js';

export interface QemuEngineOptions {
  readonly logger: Logger;
  /** hcsd's state directory: VM directories go in `<stateDir>/qemu/` (removed when empty). */
  readonly stateDir: string;
  /** QEMU binary (default `$UVMKIT_QEMU`, else `qemu-system-x86_64`). */
  readonly binary?: string;
  /** Graceful shutdown budget before the kill (default 20 s). */
  readonly shutdownTimeoutMs?: number;
  /** Spawn → QMP ready budget (default 30 s). */
  readonly startTimeoutMs?: number;
}

/** The sidecar a Save writes next to the state file. */
interface SaveSidecar {
  readonly format: 1;
  readonly placement: Record<string, string>;
  readonly p9Used: Record<string, string>;
}

const SIDECAR = (path: string) => `${path}.uvmkit.json`;
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** hcs-core's HvSocket directory (`$UVMKIT_HVSOCK_DIR`, else `<tmpdir>/uvmkit-hvsock`). */
function hvsockDir(): string {
  return process.env.UVMKIT_HVSOCK_DIR || join(tmpdir(), 'uvmkit-hvsock');
}

function qemuVersion(binary: string): string | undefined {
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) return undefined;
  return /version (\S+)/.exec(r.stdout)?.[1];
}

export class QemuEngine implements Engine {
  readonly name = 'qemu' as const;
  readonly description: Obj;
  readonly #logger: Logger;
  readonly #binary: string;
  readonly #stateDir: string;
  readonly #accel: AccelProbe;
  readonly #version: string | undefined;
  readonly #vms = new Set<QemuVm>();
  readonly #options: QemuEngineOptions;
  #counter = 0;

  constructor(options: QemuEngineOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#binary = options.binary ?? process.env.UVMKIT_QEMU ?? 'qemu-system-x86_64';
    this.#stateDir = join(options.stateDir, 'qemu');
    this.#version = qemuVersion(this.#binary);
    this.#accel = this.#version ? probeAccel(this.#binary) : { accel: 'tcg', reason: 'QEMU not found' };
    this.description = {
      Engine: 'qemu',
      Binary: this.#binary,
      QemuVersion: this.#version ?? null,
      Accelerator: this.#accel.accel,
      AcceleratorReason: this.#accel.reason,
      StateDirectory: this.#stateDir,
    };
    this.#logger.info(
      `hcsd qemu engine: ${this.#binary} ${this.#version ?? '(missing)'}, accelerator ${this.#accel.accel} (${this.#accel.reason})`,
    );
  }

  async create(system: SystemView, host: EngineHost, _signal: AbortSignal): Promise<EngineVm> {
    if (!this.#version)
      fail(
        HR.ERROR_FILE_NOT_FOUND,
        `${this.#binary}: QEMU is not installed (apt-get install -y --no-install-recommends qemu-system-x86)`,
      );
    if (system.kind !== 'VirtualMachine')
      fail(HR.ERROR_NOT_SUPPORTED, `the qemu engine runs virtual machines only, not ${system.kind}`);
    mkdirSync(this.#stateDir, { recursive: true });
    const vmDir = join(this.#stateDir, `vm${++this.#counter}`);
    // Refuse what the command line cannot express now, before anything exists.
    buildCmdline({
      config: system.config,
      vmDir,
      accel: this.#accel.accel,
      fileSize: () => 0,
      name: system.id,
    });
    preflight(system.config);
    const vm = new QemuVm({
      system,
      host,
      vmDir,
      binary: this.#binary,
      accel: this.#accel.accel,
      logger: this.#logger,
      shutdownTimeoutMs: this.#options.shutdownTimeoutMs ?? 20_000,
      startTimeoutMs: this.#options.startTimeoutMs ?? 30_000,
      onDispose: (v) => {
        this.#vms.delete(v);
        if (this.#vms.size === 0) this.#removeStateDir(false);
      },
    });
    this.#vms.add(vm);
    return vm;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#vms].map((vm) => vm.dispose()));
    this.#removeStateDir(true);
  }

  /** Remove `<stateDir>/qemu` (and, at close, hcsd's state directory) if empty. */
  #removeStateDir(parentToo: boolean): void {
    for (const dir of parentToo ? [this.#stateDir, dirname(this.#stateDir)] : [this.#stateDir]) {
      try {
        rmdirSync(dir);
      } catch {
        // not empty (someone else's files) or already gone
      }
    }
  }
}

interface VmOptions {
  readonly system: SystemView;
  readonly host: EngineHost;
  readonly vmDir: string;
  readonly binary: string;
  readonly accel: 'kvm' | 'tcg';
  readonly logger: Logger;
  readonly shutdownTimeoutMs: number;
  readonly startTimeoutMs: number;
  readonly onDispose: (vm: QemuVm) => void;
}

export class QemuVm implements EngineVm {
  readonly #o: VmOptions;
  #proc: QemuProcess | undefined;
  #qmp: QmpClient | undefined;
  #plan: VmPlan | undefined;
  #placement: Record<string, string> = {};
  #p9Used: Record<string, string> = {};
  #limiter: CpuLimiter;
  /** Set when the service asked the VM to stop: its exit is then not reported as `exited`. */
  #stopping = false;
  #shutdownEvent: Record<string, unknown> | undefined;
  #disposed = false;
  #startedAt: number | undefined;
  /** The HvSocket relay over the VM's `uvmkit.relay` port (started once QEMU runs). */
  #relay: RelayHost | undefined;

  constructor(options: VmOptions) {
    this.#o = options;
    this.#limiter = new CpuLimiter(`${process.pid}-${options.vmDir.split('/').pop()}`);
  }

  get #log(): string {
    return join(this.#o.vmDir, 'vm.log');
  }

  #requireQmp(): QmpClient {
    if (!this.#qmp || !this.#proc || this.#proc.exit)
      fail(HR.HCS_E_INVALID_STATE, `system ${this.#o.system.id}: QEMU is not running`);
    return this.#qmp;
  }

  /** The last lines of the VM log (for error messages). */
  #logTail(lines = 3): string {
    try {
      const text = readFileSync(this.#log, 'utf8').trim().split('\n');
      return text.slice(-lines).join(' | ');
    } catch {
      return '';
    }
  }

  async start(signal: AbortSignal): Promise<void> {
    const { system, vmDir } = this.#o;
    preflight(system.config);
    const restore = system.config.VirtualMachine;
    const restorePath =
      isObj(restore) && isObj(restore.RestoreState) ? restore.RestoreState.SaveStateFilePath : undefined;
    let sidecar: SaveSidecar | undefined;
    if (restorePath !== undefined) {
      if (typeof restorePath !== 'string' || restorePath === '')
        fail(HR.E_INVALIDARG, 'RestoreState.SaveStateFilePath: must be a path');
      if (!existsSync(restorePath))
        fail(HR.ERROR_FILE_NOT_FOUND, `RestoreState.SaveStateFilePath ${restorePath}: no such file`);
      try {
        sidecar = JSON.parse(readFileSync(SIDECAR(restorePath), 'utf8')) as SaveSidecar;
      } catch {
        sidecar = undefined;
      }
    }
    rmSync(vmDir, { recursive: true, force: true });
    mkdirSync(vmDir, { recursive: true });
    const plan = buildCmdline({
      config: system.config,
      vmDir,
      accel: this.#o.accel,
      fileSize: (p) => statSync(p).size,
      name: system.id,
      ...(sidecar ? { placement: sidecar.placement, p9Placement: sidecar.p9Used } : {}),
      ...(typeof restorePath === 'string' ? { incoming: `exec:cat ${shellQuote(restorePath)}` } : {}),
    });
    this.#plan = plan;
    this.#placement = { ...plan.placement };
    this.#p9Used = { ...plan.p9Used };
    for (const [link, target] of Object.entries(plan.p9Links)) symlinkSync(target, link);
    writeFileSync(
      this.#log,
      `uvmkit: argv ${JSON.stringify([this.#o.binary, ...plan.argv])}\nuvmkit: accelerator ${this.#o.accel}\n`,
    );
    this.#stopping = false;
    this.#shutdownEvent = undefined;
    const proc = QemuProcess.spawn(this.#o.binary, plan.argv, this.#log);
    this.#proc = proc;
    this.#o.logger.info(`hcsd qemu: ${system.id}: QEMU pid ${proc.pid} (${this.#o.accel}), log ${this.#log}`);
    try {
      const qmp = await this.#connect(proc, plan.qmpPath, signal);
      this.#qmp = qmp;
      qmp.onEvent((e) => {
        if (e.event === 'SHUTDOWN') this.#shutdownEvent = e.data;
      });
      if (restorePath !== undefined) await this.#finishIncoming(qmp, signal);
      const status = await qmp.execute<{ status: string }>('query-status', undefined, { signal });
      if (status.status !== 'running') fail(HR.E_FAIL, `QEMU is ${status.status} after start, not running`);
    } catch (e) {
      this.#stopping = true;
      await this.#kill();
      if (e instanceof HcsdFailure) throw e;
      throw new HcsdFailure(HR.E_FAIL, `QEMU start: ${(e as Error).message}`);
    }
    this.#startedAt = Date.now();
    this.#relay = new RelayHost({
      chardevPath: plan.relayPath,
      hvsockDir: hvsockDir(),
      runtimeId: system.runtimeId,
      logger: this.#o.logger,
    });
    this.#relay.start();
    void proc.exited.then((exit) => this.#onExit(proc, describeExit(exit)));
  }

  async #connect(proc: QemuProcess, path: string, signal: AbortSignal): Promise<QmpClient> {
    const deadline = Date.now() + this.#o.startTimeoutMs;
    for (;;) {
      if (proc.exit) {
        const tail = this.#logTail(2);
        fail(HR.E_FAIL, `QEMU exited at start (${describeExit(proc.exit)}): ${tail}`);
      }
      if (signal.aborted) fail(HR.ERROR_CANCELLED, 'Start: cancelled');
      if (Date.now() > deadline)
        fail(HR.ERROR_TIMEOUT, `QEMU did not open QMP within ${this.#o.startTimeoutMs} ms`);
      if (existsSync(path)) {
        const qmp = new QmpClient({ timeoutMs: 30_000 });
        try {
          await qmp.connect(path, { signal, timeoutMs: 10_000 });
          return qmp;
        } catch (e) {
          qmp.close();
          if (signal.aborted) throw e;
        }
      }
      await sleep(20);
    }
  }

  async #finishIncoming(qmp: QmpClient, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { status } = await qmp.execute<{ status: string }>('query-status', undefined, { signal });
      if (status === 'paused' || status === 'postmigrate' || status === 'prelaunch') break;
      if (status !== 'inmigrate') fail(HR.E_FAIL, `restore: QEMU is ${status} after the incoming migration`);
      const mig = await qmp.execute<{ status?: string; 'error-desc'?: string }>('query-migrate', undefined, {
        signal,
      });
      if (mig.status === 'failed')
        fail(
          HR.ERROR_INVALID_DATA,
          `restore: the saved state could not be loaded: ${mig['error-desc'] ?? this.#logTail(2)}`,
        );
      if (Date.now() > deadline)
        fail(HR.ERROR_TIMEOUT, 'restore: the incoming migration did not finish within 120 s');
      await sleep(50);
    }
    await qmp.execute('cont', undefined, { signal });
  }

  #onExit(proc: QemuProcess, how: string): void {
    if (this.#proc !== proc) return;
    this.#qmp?.close();
    this.#qmp = undefined;
    void this.#closeRelay();
    this.#limiter.remove();
    if (this.#stopping || this.#disposed) return;
    const ev = this.#shutdownEvent;
    let exitType: ExitType = 'UnexpectedExit';
    let detail: ExitDetail;
    if (ev?.guest === true && ev.reason === 'guest-shutdown') {
      exitType = 'GracefulExit';
      detail = { detail: 'Shutdown', initiator: 'GuestOS', message: `the guest powered off; QEMU ${how}` };
    } else if (ev?.guest === true) {
      detail = {
        detail: 'UnexpectedExit',
        initiator: 'GuestOS',
        message: `QEMU ${how} after ${String(ev.reason)}`,
      };
    } else {
      detail = {
        detail: 'UnexpectedExit',
        initiator: 'Internal',
        message: `QEMU ${how}: ${this.#logTail(2)}`,
      };
    }
    this.#o.logger.info(`hcsd qemu: ${this.#o.system.id}: ${exitType} (${detail.message})`);
    this.#o.host.exited(exitType, detail);
  }

  async #kill(): Promise<void> {
    const proc = this.#proc;
    this.#qmp?.close();
    this.#qmp = undefined;
    if (proc) await proc.kill();
    await this.#closeRelay();
    this.#limiter.remove();
  }

  #closeRelay(): Promise<void> {
    const relay = this.#relay;
    this.#relay = undefined;
    return relay
      ? relay.close().catch((e: unknown) => this.#o.logger.error('hcsd qemu: relay close', e))
      : Promise.resolve();
  }

  async pause(signal: AbortSignal): Promise<void> {
    await this.#requireQmp().execute('stop', undefined, { signal });
  }

  async resume(signal: AbortSignal): Promise<void> {
    await this.#requireQmp().execute('cont', undefined, { signal });
  }

  async save(call: SaveCall, signal: AbortSignal): Promise<void> {
    if (call.saveType === 'AsTemplate')
      fail(
        HR.ERROR_NOT_SUPPORTED,
        'Save AsTemplate: not realizable by the qemu engine: QEMU has no clone templates (save ToFile and restore instead)',
      );
    const path = call.path;
    if (path === undefined || path === '')
      fail(HR.E_INVALIDARG, 'SaveOptions.SaveStateFilePath: is required for ToFile');
    if (!existsSync(dirname(path)) || !statSync(dirname(path)).isDirectory())
      fail(
        HR.ERROR_PATH_NOT_FOUND,
        `SaveOptions.SaveStateFilePath ${path}: directory ${dirname(path)} does not exist`,
      );
    const qmp = this.#requireQmp();
    await qmp.execute('stop', undefined, { signal });
    await qmp.execute('migrate', { uri: `exec:cat > ${shellQuote(path)}` }, { signal });
    const deadline = Date.now() + 300_000;
    for (;;) {
      if (signal.aborted) {
        await qmp.execute('migrate_cancel', undefined, { timeoutMs: 5_000 }).catch(() => {});
        fail(HR.ERROR_CANCELLED, 'Save: cancelled');
      }
      const mig = await qmp.execute<{ status?: string; 'error-desc'?: string }>('query-migrate');
      if (mig.status === 'completed') break;
      if (mig.status === 'failed' || mig.status === 'cancelled') {
        rmSync(path, { force: true });
        fail(HR.E_FAIL, `Save: QEMU migration ${mig.status}: ${mig['error-desc'] ?? ''}`);
      }
      if (Date.now() > deadline) fail(HR.ERROR_TIMEOUT, 'Save: the migration did not finish within 300 s');
      await sleep(25);
    }
    const sidecar: SaveSidecar = {
      format: 1,
      placement: this.#placement,
      p9Used: this.#p9Used,
    };
    writeFileSync(SIDECAR(path), `${JSON.stringify(sidecar)}\n`);
  }

  async shutdown(signal: AbortSignal): Promise<void> {
    const proc = this.#proc;
    if (!proc || proc.exit) return;
    this.#stopping = true;
    const qmp = this.#qmp;
    let status = 'unknown';
    try {
      status =
        (await qmp?.execute<{ status: string }>('query-status', undefined, { timeoutMs: 5_000 }))?.status ??
        'unknown';
      if (status === 'running') await qmp?.execute('system_powerdown', undefined, { timeoutMs: 5_000 });
    } catch {
      // QMP gone: the kill below
    }
    if (status === 'running') {
      const aborted = new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
      await Promise.race([proc.exited, sleep(this.#o.shutdownTimeoutMs), aborted]);
    }
    if (!proc.exit)
      this.#o.logger.info(`hcsd qemu: ${this.#o.system.id}: no ACPI power-off (${status}); killing QEMU`);
    await this.#kill();
  }

  async terminate(): Promise<void> {
    const proc = this.#proc;
    if (!proc || proc.exit) return;
    this.#stopping = true;
    try {
      await this.#qmp?.execute('quit', undefined, { timeoutMs: 2_000 });
      await Promise.race([proc.exited, sleep(2_000)]);
    } catch {
      // the kill below
    }
    await this.#kill();
  }

  async crash(_signal: AbortSignal): Promise<void> {
    this.#stopping = true;
    await this.#kill();
  }

  async modify(call: ModifyCall, signal: AbortSignal): Promise<void> {
    const qmp = this.#requireQmp();
    const plan = this.#plan;
    const proc = this.#proc;
    if (!plan || !proc) fail(HR.HCS_E_INVALID_STATE, 'QEMU is not running');
    const ctx: ModifyContext = {
      qmp,
      vmDir: this.#o.vmDir,
      config: this.#o.system.config,
      scsi: plan.scsi,
      ports: plan.ports,
      placement: this.#placement,
      p9Slots: plan.p9Slots,
      p9Used: this.#p9Used,
      bootMemoryMB: plan.memoryMB,
      processors: plan.processors,
      pid: proc.pid,
      limiter: this.#limiter,
    };
    await realizeModify(ctx, call, signal);
  }

  async statistics(): Promise<EngineStatistics | undefined> {
    const proc = this.#proc;
    if (!proc || proc.exit || this.#startedAt === undefined) return undefined;
    const u = proc.usage();
    return {
      uptimeMs: Date.now() - this.#startedAt,
      ...(u ? { memoryBytes: u.rssBytes, processorTime100ns: u.cpu100ns } : {}),
    };
  }

  async inspect(what: string, query: Obj): Promise<unknown> {
    if (what === 'log') {
      try {
        return { path: this.#log, text: readFileSync(this.#log, 'utf8') };
      } catch {
        return { path: this.#log, text: '' };
      }
    }
    if (what === 'relay') return this.#relay?.inspect() ?? null;
    if (what !== 'qemu')
      fail(HR.E_INVALIDARG, `inspect ${what}: the qemu engine has the views 'qemu', 'log' and 'relay'`);
    if (typeof query.command === 'string') {
      const args = isObj(query.arguments) ? query.arguments : undefined;
      return this.#requireQmp().execute(query.command, args);
    }
    const proc = this.#proc;
    const running = this.#qmp !== undefined && proc !== undefined && proc.exit === undefined;
    const base = {
      pid: proc?.pid ?? null,
      running,
      accelerator: this.#o.accel,
      vmDir: this.#o.vmDir,
      log: this.#log,
      placement: { ...this.#placement },
      p9Used: { ...this.#p9Used },
      cgroup: this.#limiter.read() ?? null,
    };
    if (!running || !this.#qmp) return base;
    const qmp = this.#qmp;
    const [status, block, pci] = await Promise.all([
      qmp.execute<{ status: string }>('query-status'),
      qmp.execute<{ device?: string; qdev?: string; inserted?: { 'node-name'?: string; file?: string } }[]>(
        'query-block',
      ),
      qmp.execute<PciBus[]>('query-pci'),
    ]);
    return {
      ...base,
      status: status.status,
      block: block.map((b) => ({
        qdev: b.qdev ?? b.device ?? '',
        node: b.inserted?.['node-name'] ?? null,
        file: b.inserted?.file ?? null,
      })),
      pci: flattenPci(pci),
    };
  }

  /** `engineFault(id, {action: 'killVmm'})`: SIGKILL QEMU (the exit is then unexpected). */
  async fault(doc: Obj): Promise<unknown> {
    const action = isObj(doc.fault) ? doc.fault.action : undefined;
    if (action === 'killVmm') {
      const proc = this.#proc;
      if (!proc || proc.exit) fail(HR.HCS_E_INVALID_STATE, 'QEMU is not running');
      process.kill(proc.pid, 'SIGKILL');
      return { killed: proc.pid };
    }
    fail(
      HR.ERROR_NOT_SUPPORTED,
      `engine fault ${JSON.stringify(action)}: the qemu engine injects only killVmm`,
    );
  }

  clearFaults(): void {
    // killVmm is immediate: nothing stays armed.
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#stopping = true;
    await this.#kill();
    rmSync(this.#o.vmDir, { recursive: true, force: true });
    this.#o.onDispose(this);
  }
}

interface PciDevice {
  qdev_id?: string;
  class_info?: { desc?: string };
  id?: { device: number; vendor: number };
  bus?: number;
  slot?: number;
  pci_bridge?: { bus?: { number?: number }; devices?: PciDevice[] };
}
interface PciBus {
  bus: number;
  devices: PciDevice[];
}

/** Every PCI device with its qdev id and the root port id it sits behind. */
function flattenPci(buses: PciBus[]): { id: string; bus: number; slot: number; port: string | null }[] {
  const out: { id: string; bus: number; slot: number; port: string | null }[] = [];
  const walk = (devices: PciDevice[], bus: number, port: string | null) => {
    for (const d of devices) {
      out.push({ id: d.qdev_id ?? '', bus, slot: d.slot ?? 0, port });
      if (d.pci_bridge?.devices)
        walk(d.pci_bridge.devices, d.pci_bridge.bus?.number ?? -1, d.qdev_id ?? null);
    }
  };
  for (const b of buses) walk(b.devices, b.bus, null);
  return out;
}
