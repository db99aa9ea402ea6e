/**
 * A real outside consumer: every published package is packed (pnpm pack, which rewrites the
 * workspace ranges), the tarballs are installed with npm into a fresh project in the temp dir
 * (outside the workspace: no pnpm, no workspace links, no hoisting from the monorepo), a program
 * written from the READMEs (fixture/consumer.ts) is compiled there with `skipLibCheck: false` and
 * the documented `target: es2022`, and run on this Node against the emulator it starts itself.
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../..', import.meta.url));
const here = fileURLToPath(new URL('..', import.meta.url));
const project = mkdtempSync(join(tmpdir(), 'uvmkit-outside-'));
const tarballs = join(project, 'tarballs');

const workspace = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
};

function published(): { name: string; dir: string }[] {
  return readdirSync(join(root, 'packages'))
    .map((d) => ({
      dir: join(root, 'packages', d),
      manifest: JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8')),
    }))
    .filter((p) => p.manifest.private !== true)
    .map((p) => ({ name: p.manifest.name as string, dir: p.dir }));
}

const C0 = 'df6d0690-79e5-55b6-a5ec-c1e2f77f580a'; // ScsiControllerGuids[0]
/** Every ModifySettingRequest hcsd received, in order (the last one is the refused occupied LUN). */
const EXPECTED_LOG = [
  `Add VirtualMachine/Devices/Scsi/${C0}/Attachments/1`,
  'Add VirtualMachine/Devices/NetworkAdapters/7a3f12c4-5b6d-4e8f-9a0b-1c2d3e4f5a6b',
  'Add VirtualMachine/Devices/VirtualPci/2f1e8a7c-5b4d-4e3f-9a2b-1c0d9e8f7a6b',
  'Add VirtualMachine/Devices/MappedPipes/\\\\.\\pipe\\docker_engine',
  'Add VirtualMachine/Devices/Plan9/Shares',
  'Add VirtualMachine/Devices/VirtualSmb/Shares',
  'Add VirtualMachine/Devices/VirtualPMem/Devices/0',
  'Update VirtualMachine/Devices/HvSocket/HvSocketConfig/ServiceTable/40000001-facb-11e6-bd58-64006a7986d3',
  '(no RequestType) VirtualMachine/ComputeTopology/Memory/SizeInMB',
  `Add VirtualMachine/Devices/Scsi/${C0}/Attachments/1`,
];
/** The guest agent's table after guest.addMappedVirtualDisk of the disk the host attached. */
const EXPECTED_GUEST_DISKS = [
  {
    BlockDev: false,
    Controller: 0,
    ControllerGuid: C0,
    Encrypted: false,
    EnsureFilesystem: false,
    Filesystem: '',
    Lun: 1,
    MountPath: '/run/mounts/m1',
    Options: [],
    Partition: 0,
    ReadOnly: false,
    Scratch: false,
    hostAttached: true,
  },
];
const EXPECTED_EXIT = {
  Status: 0,
  ExitType: 'ForcedExit',
  Attribution: [{ SystemExit: { Detail: 'Terminate', Initiator: 'Client' } }],
};

let compile: { ok: boolean; out: string };
let program: { ok: boolean; out: string; err: string };

beforeAll(async () => {
  mkdirSync(tarballs);
  const deps: Record<string, string> = {};
  for (const p of published()) {
    const { stdout } = await run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: p.dir });
    const file = stdout.trim().split('\n').pop()!.trim();
    deps[p.name] = `file:${file}`;
  }
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify(
      {
        name: 'outside-consumer',
        private: true,
        type: 'module',
        dependencies: deps,
        devDependencies: {
          typescript: workspace.devDependencies.typescript,
          '@types/node': workspace.devDependencies['@types/node'],
        },
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: false,
        types: ['node'],
        outDir: 'out',
      },
      include: ['consumer.ts'],
    }),
  );
  copyFileSync(join(here, 'fixture/consumer.ts'), join(project, 'consumer.ts'));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
    cwd: project,
  });
  compile = await run(process.execPath, [
    join(project, 'node_modules/typescript/bin/tsc'),
    '-p',
    project,
  ]).then(
    () => ({ ok: true, out: '' }),
    (e: { stdout?: string }) => ({ ok: false, out: e.stdout ?? String(e) }),
  );
  const env = { ...process.env };
  delete env.UVMKIT_HCSD_SOCKET;
  delete env.UVMKIT_HCS_LIBRARY;
  program = compile.ok
    ? await run(process.execPath, [join(project, 'out/consumer.js')], { cwd: project, env }).then(
        (r) => ({ ok: true, out: r.stdout, err: r.stderr }),
        (e: { stdout?: string; stderr?: string }) => ({
          ok: false,
          out: e.stdout ?? '',
          err: e.stderr ?? String(e),
        }),
      )
    : { ok: false, out: '', err: 'not compiled' };
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

test('installed with npm: only the tarballs, from outside the workspace', () => {
  const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { resolved?: string; link?: boolean }>;
  };
  const uvmkit = Object.entries(lock.packages).filter(([k]) => k.startsWith('node_modules/@uvmkit/'));
  expect(uvmkit.map(([k]) => k.slice('node_modules/'.length)).sort()).toEqual(
    published()
      .map((p) => p.name)
      .sort(),
  );
  for (const [k, v] of uvmkit) {
    expect(v.link, k).toBeUndefined();
    expect(v.resolved, k).toMatch(/^file:tarballs\/uvmkit-.*\.tgz$/);
  }
});

test('the program compiles with skipLibCheck: false and target es2022', () => {
  expect(compile.out).toBe('');
  expect(compile.ok).toBe(true);
  // `await using` was compiled down (Node 20 cannot parse it).
  expect(readFileSync(join(project, 'out/consumer.js'), 'utf8')).not.toMatch(/await using/);
});

test('the program runs every manager and the guest manager against the emulator', () => {
  expect(program.err).toBe('');
  expect(program.ok).toBe(true);
  const report = JSON.parse(program.out) as Record<string, unknown>;
  expect(report).toEqual({
    beforeUse: {
      code: 'PluginMissing',
      message:
        'vm.start() is provided by @uvmkit/lifetime, which is not installed on UtilityVM: call UtilityVM.use(lifetime) at start-up (import { lifetime } from @uvmkit/lifetime)',
    },
    plugins: [
      'lifetime',
      'network',
      'pci',
      'pipe',
      'plan9',
      'resources',
      'scsi',
      'vmsocket',
      'vpmem',
      'vsmb',
    ],
    occupied: { alreadyExists: true, code: 'ERROR_ALREADY_EXISTS' },
    modifyLog: EXPECTED_LOG,
    guestDisks: EXPECTED_GUEST_DISKS,
    negotiated: true,
    exit: EXPECTED_EXIT,
    state: 'Stopped',
  });
});
