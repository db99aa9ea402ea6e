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
    '▶ Pausing',
    '▶ Saving the paused VM to a file',
    '▶ Resuming',
    '▶ Terminating and waiting for the exit',
    '▶ Closing the VM handle',
    '▶ Stopping hcsd',
  ]);
  expect(stdout).toMatch(/runtime id: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\n/);
  expect(stdout).toContain('RuntimeOsType: Linux');
  expect(stdout).toMatch(/▶ Pausing\n {2}State: Paused/);
  expect(stdout).toMatch(/▶ Resuming\n {2}State: Running/);
  expect(stdout).toContain('"ExitType": "ForcedExit"');
  expect(stdout).toContain('open handles left in hcsd: 0');
  expect(stdout.trimEnd().endsWith('Done.')).toBe(true);
});
