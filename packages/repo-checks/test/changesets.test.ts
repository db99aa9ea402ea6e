/**
 * Independent versions: in a scratch copy of the workspace manifests, a minor release of hcs-core
 * with a patch of one manager must not force a major (or any) bump on the other managers, whose
 * caret peer range still covers the new core.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { root, workspacePackages } from './workspace.js';

const run = promisify(execFile);
const changeset = join(root, 'node_modules/@changesets/cli/bin.js');
const scratch = mkdtempSync(join(tmpdir(), 'uvmkit-changesets-'));
const packages = workspacePackages();
const core = packages.find((p) => p.name === '@uvmkit/hcs-core')!;
const managers = packages.filter((p) => p.manifest.peerDependencies?.['@uvmkit/hcs-core'] !== undefined);

const versionIn = (dir: string, name: string): string => {
  const pkg = packages.find((p) => p.name === name)!;
  const rel = pkg.dir.slice(root.length);
  return JSON.parse(readFileSync(join(dir, rel, 'package.json'), 'utf8')).version;
};

const git = (...args: string[]) =>
  run('git', ['-c', 'user.email=ci@uvmkit.invalid', '-c', 'user.name=ci', ...args], { cwd: scratch });

beforeAll(async () => {
  for (const f of ['package.json', 'pnpm-workspace.yaml']) cpSync(join(root, f), join(scratch, f));
  // The real config, except the changelog generator (changelog-github needs a GitHub token).
  const config = JSON.parse(readFileSync(join(root, '.changeset/config.json'), 'utf8'));
  mkdirSync(join(scratch, '.changeset'));
  writeFileSync(join(scratch, '.changeset/config.json'), JSON.stringify({ ...config, changelog: false }));
  for (const p of packages) {
    const rel = p.dir.slice(root.length);
    mkdirSync(join(scratch, rel), { recursive: true });
    cpSync(join(p.dir, 'package.json'), join(scratch, rel, 'package.json'));
  }
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('commit', '-qm', 'base');
  await git('checkout', '-qb', 'release');
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test('the managers peer-depend on hcs-core with a caret range that a core minor stays inside', () => {
  expect(managers.length).toBeGreaterThanOrEqual(10);
  const [major] = core.version.split('.').map(Number);
  expect(major).toBeGreaterThanOrEqual(1);
  for (const m of managers) expect(m.manifest.peerDependencies?.['@uvmkit/hcs-core']).toBe('workspace:^');
});

test('changeset status and version: a core minor plus a scsi patch bump exactly those two', async () => {
  writeFileSync(
    join(scratch, '.changeset/core-minor.md'),
    '---\n"@uvmkit/hcs-core": minor\n"@uvmkit/scsi": patch\n---\n\nA new core feature and a scsi fix.\n',
  );
  await git('add', '-A');
  await git('commit', '-qm', 'changeset');

  const statusFile = join(scratch, 'status.json');
  await run(process.execPath, [changeset, 'status', `--output=${statusFile}`], { cwd: scratch });
  const status = JSON.parse(readFileSync(statusFile, 'utf8')) as {
    releases: { name: string; type: string; oldVersion: string; newVersion: string }[];
  };
  const bumps = Object.fromEntries(
    status.releases.filter((r) => r.type !== 'none').map((r) => [r.name, r.type]),
  );
  expect(bumps).toEqual({ '@uvmkit/hcs-core': 'minor', '@uvmkit/scsi': 'patch' });

  await run(process.execPath, [changeset, 'version'], { cwd: scratch });
  const [maj, min] = core.version.split('.').map(Number);
  expect(versionIn(scratch, '@uvmkit/hcs-core')).toBe(`${maj}.${(min ?? 0) + 1}.0`);
  for (const m of managers) {
    const before = m.version;
    const after = versionIn(scratch, m.name);
    if (m.name === '@uvmkit/scsi') {
      const [a, b, c] = before.split('.').map(Number);
      expect(after).toBe(`${a}.${b}.${(c ?? 0) + 1}`);
    } else {
      expect(after, m.name).toBe(before);
    }
  }
});
