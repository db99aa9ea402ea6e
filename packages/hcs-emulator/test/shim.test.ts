/**
 * libcomputecore (the C shim) against a real hcsd: builds the ASan+UBSan test program
 * (test/native/*.c linked with native/*.c), runs it with UVMKIT_HCSD_SOCKET pointing at a daemon
 * started by startHcsd(), and turns each `ok <case>` line into a test. Sanitizer output must be clean.
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HcsdProcess, shimLibraryPath, startHcsd } from '../src/index.js';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const testBinary = join(pkg, 'dist', 'native', 'shim-test');

/** Every case of test/native/shim_test.c that runs by default, in order. */
const CASES = [
  'internal_units',
  'not_started',
  'operation_context',
  'unicode_lifecycle',
  'callback_thread',
  'wait_timeout_and_poll',
  'already_started_and_reuse',
  'cancel',
  'close_op_pending',
  'close_system_ops_pending',
  'close_system_in_callback',
  'close_system_while_callback_running',
  'operation_callback_option',
  'operation_with_notifications',
  'bad_input',
  'enumerate_and_service',
  'two_processes',
  'client_exit_mid_operation',
  'create_in_flight',
  'namespace_variants',
  'wait_for_exit',
  'operation_properties_and_resources',
  'unimplemented_exports',
  'free_functions',
  'burst',
  'large_document',
  'concurrent_close_race',
] as const;

/** hcs-api.md §1: the 60 computecore exports, plus the two free functions. */
const EXPORTS = [
  'HcsAddResourceToOperation',
  'HcsCancelLiveMigration',
  'HcsCancelOperation',
  'HcsCloseComputeSystem',
  'HcsCloseOperation',
  'HcsCloseProcess',
  'HcsCrashComputeSystem',
  'HcsCreateComputeSystem',
  'HcsCreateComputeSystemInNamespace',
  'HcsCreateEmptyGuestStateFile',
  'HcsCreateEmptyRuntimeStateFile',
  'HcsCreateOperation',
  'HcsCreateOperationWithNotifications',
  'HcsCreateProcess',
  'HcsEnumerateComputeSystems',
  'HcsEnumerateComputeSystemsInNamespace',
  'HcsFinalizeLiveMigration',
  'HcsGetComputeSystemFromOperation',
  'HcsGetComputeSystemProperties',
  'HcsGetOperationContext',
  'HcsGetOperationId',
  'HcsGetOperationProperties',
  'HcsGetOperationResult',
  'HcsGetOperationResultAndProcessInfo',
  'HcsGetOperationType',
  'HcsGetProcessFromOperation',
  'HcsGetProcessInfo',
  'HcsGetProcessProperties',
  'HcsGetProcessorCompatibilityFromSavedState',
  'HcsGetServiceProperties',
  'HcsGrantVmAccess',
  'HcsGrantVmGroupAccess',
  'HcsInitializeLiveMigrationOnSource',
  'HcsModifyComputeSystem',
  'HcsModifyProcess',
  'HcsModifyServiceSettings',
  'HcsOpenComputeSystem',
  'HcsOpenComputeSystemInNamespace',
  'HcsOpenProcess',
  'HcsPauseComputeSystem',
  'HcsResumeComputeSystem',
  'HcsRevokeVmAccess',
  'HcsRevokeVmGroupAccess',
  'HcsSaveComputeSystem',
  'HcsSetComputeSystemCallback',
  'HcsSetOperationCallback',
  'HcsSetOperationContext',
  'HcsSetProcessCallback',
  'HcsShutDownComputeSystem',
  'HcsSignalProcess',
  'HcsStartComputeSystem',
  'HcsStartLiveMigrationOnSource',
  'HcsStartLiveMigrationTransfer',
  'HcsSubmitWerReport',
  'HcsTerminateComputeSystem',
  'HcsTerminateProcess',
  'HcsWaitForComputeSystemExit',
  'HcsWaitForOperationResult',
  'HcsWaitForOperationResultAndProcessInfo',
  'HcsWaitForProcessExit',
] as const;

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  lines: Map<string, string>; // case → 'ok' | 'not ok: why'
}

function runTests(args: string[], env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(testBinary, args, {
      env: {
        ...process.env,
        ...env,
        ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0',
        UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const lines = new Map<string, string>();
      for (const line of stdout.split('\n')) {
        const ok = /^ok (\S+)$/.exec(line);
        if (ok?.[1]) lines.set(ok[1], 'ok');
        const bad = /^not ok (\S+): (.*)$/.exec(line);
        if (bad?.[1]) lines.set(bad[1], `not ok: ${bad[2]}`);
      }
      resolve({ code, stdout, stderr, lines });
    });
  });
}

const SANITIZER = /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:/;

beforeAll(() => {
  execFileSync(process.execPath, [join(pkg, 'scripts', 'build-native.mjs'), '--tests'], { stdio: 'pipe' });
}, 120_000);

describe('libcomputecore exports', () => {
  it('exports exactly the 60 computecore functions plus LocalFree, CoTaskMemFree and the emulator-only UvmkitShimSocketPath', () => {
    const out = execFileSync('nm', ['-D', '--defined-only', shimLibraryPath()], { encoding: 'utf8' });
    const names = out
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[1] === 'T')
      .map((f) => f[2])
      .sort();
    expect(EXPORTS).toHaveLength(60);
    expect(names).toEqual([...EXPORTS, 'CoTaskMemFree', 'LocalFree', 'UvmkitShimSocketPath'].sort());
  });

  it('is never unloaded (NODELETE): its threads outlive the isolate at process exit', () => {
    const out = execFileSync('readelf', ['-d', shimLibraryPath()], { encoding: 'utf8' });
    expect(out).toMatch(/FLAGS_1\)\s+Flags:.*\bNODELETE\b/);
  });
});

describe('libcomputecore against hcsd (ASan+UBSan)', () => {
  let hcsd: HcsdProcess;
  let result: RunResult;

  beforeAll(async () => {
    hcsd = await startHcsd();
    result = await runTests([], { UVMKIT_HCSD_SOCKET: hcsd.socketPath });
  }, 180_000);

  afterAll(async () => {
    await hcsd?.stop();
  });

  it('runs every case, exits 0 and prints no sanitizer report', () => {
    expect([...result.lines.keys()]).toEqual([...CASES]);
    expect(result.stdout).toContain(`done ${CASES.length} passed 0 failed`);
    expect(result.stderr).not.toMatch(SANITIZER);
    expect(result.code).toBe(0);
  });

  for (const name of CASES) {
    it(name, () => {
      expect(result.lines.get(name)).toBe('ok');
    });
  }

  it('leaves hcsd without clients or pending requests afterwards', async () => {
    expect(await hcsd.control.pending()).toEqual([]);
    const clients = await hcsd.control.clients();
    expect(clients.filter((c) => c.name === 'libcomputecore')).toEqual([]);
  });
});

describe('hcsd killed mid-operation', () => {
  let a: HcsdProcess;
  let b: HcsdProcess;
  let result: RunResult;

  beforeAll(async () => {
    a = await startHcsd();
    b = await startHcsd();
    result = await runTests(['--only', 'kill_hcsd'], {
      UVMKIT_HCSD_SOCKET: a.socketPath,
      UVMKIT_HCSD_PID: String(a.pid),
      UVMKIT_HCSD_SOCKET2: b.socketPath,
    });
  }, 120_000);

  afterAll(async () => {
    await a?.kill();
    await b?.stop();
  });

  it('fails every pending operation with HCS_E_SERVICE_DISCONNECT, delivers ServiceDisconnect once, reconnects', () => {
    expect(result.lines.get('kill_hcsd')).toBe('ok');
    expect(result.stdout).toContain('done 1 passed 0 failed');
    expect(result.stderr).not.toMatch(SANITIZER);
    expect(result.code).toBe(0);
  });

  it('the daemon really died of SIGKILL', async () => {
    expect(await a.exited).toBe('SIGKILL');
  });
});
