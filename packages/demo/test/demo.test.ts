import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

test('the demo runs a UVM from create to exit on the embedded emulator and leaves nothing open', async () => {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [main], { timeout: 60_000 });
  expect(stderr).toBe('');
  const steps = stdout.split('\n').filter((l) => l.startsWith('▶ '));
  expect(steps).toEqual([
    '▶ Starting the embedded HCS emulator (hcsd)',
    expect.stringMatching(/^▶ Creating utility VM "uvmkit-demo-\d+" from an LCOW document$/),
    '▶ Starting it',
    '▶ Properties (V2: Memory, Statistics)',
    '▶ Hot-adding devices (one per resource manager)',
    '▶ Removing them again',
    '▶ Pausing',
    '▶ Saving the paused VM to a file',
    '▶ Resuming',
    '▶ Terminating and waiting for the exit',
    '▶ Closing the VM handle',
    '▶ Stopping hcsd',
  ]);
  expect(stdout).toMatch(/runtime id: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\n/);
  expect(stdout).toContain('RuntimeOsType: Linux');
  const added = stdout.slice(stdout.indexOf('What hcsd now holds'), stdout.indexOf('▶ Removing'));
  expect(added).toContain('"1":{"Type":"VirtualDisk","Path":"C:\\\\uvm\\\\scratch.vhdx"');
  expect(added).toContain('networkAdapters: {"7a3f12c4-5b6d-4e8f-9a0b-1c2d3e4f5a6b"');
  expect(added).toContain('vpmem: {"MaximumCount":64,"Devices":{"0":');
  expect(added).toContain('plan9Shares: [{"Name":"host-config"');
  expect(added).toContain('vsmbShares: [{"Name":"layer-0"');
  expect(added).toContain('"40000001-facb-11e6-bd58-64006a7986d3":');
  expect(added).toContain('memorySizeInMB: 2048');
  expect(added).toContain('processor: {"Count":2,"Limit":50000,"Weight":200}');
  const removed = stdout.slice(
    stdout.indexOf('What hcsd holds after the removals'),
    stdout.indexOf('▶ Pausing'),
  );
  for (const gone of ['scsi:', 'networkAdapters:', 'plan9Shares:', 'vsmbShares:', '40000001-facb']) {
    expect(removed).not.toContain(gone);
  }
  expect(removed).toContain('vpmem: {"MaximumCount":64,"Devices":{}}');
  expect(removed).toContain('memorySizeInMB: 1024');
  expect(stdout).toMatch(/▶ Pausing\n {2}State: Paused/);
  expect(stdout).toMatch(/▶ Resuming\n {2}State: Running/);
  expect(stdout).toContain('"ExitType": "ForcedExit"');
  expect(stdout).toContain('open handles left in hcsd: 0');
  expect(stdout.trimEnd().endsWith('Done.')).toBe(true);
});
