/**
 * Fuzzes the bridge's parsers with libFuzzer (clang -fsanitize=fuzzer,address,undefined): the JSON
 * reader (with a writer round trip) and the frame decoder, each for a fixed time budget (10 s)
 * from a small seed corpus of real bridge documents. A crash, sanitizer report or leak fails.
 * Needs Debian's `clang` and `libclang-rt-14-dev` (installed by .ci/run).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeFrame } from '@uvmkit/guestmanager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { make, PACKAGE_DIR } from './helpers/agent.js';

const BUDGET_S = 10;
const dir = mkdtempSync('/tmp/lgf-');

const SEEDS = [
  '{"ContainerId":"","ActivityId":"00000000-0000-0000-0000-000000000000","MinimumVersion":4,"MaximumVersion":4}',
  '{"ContainerId":"00000000-0000-0000-0000-000000000000","ActivityId":"00000000-0000-0000-0000-000000000000","Request":{"ResourceType":"MappedVirtualDisk","RequestType":"Add","Settings":{"MountPath":"/run/m","Lun":1,"Options":["ro"]}}}',
  '{"Settings":{"ProcessParameters":"{\\"CommandArgs\\":[\\"sh\\",\\"-c\\",\\"echo \\\\u00e9\\"],\\"Environment\\":{\\"A\\":\\"b\\"}}","VsockStdioRelaySettings":{"StdOut":1073741825}}}',
  '[1,-2.5e10,true,false,null,"\\ud83d\\ude00",{"":[]}]',
];

beforeAll(() => {
  make('fuzz');
  for (const name of ['json', 'gcsframe']) mkdirSync(join(dir, name));
  SEEDS.forEach((s, i) => {
    writeFileSync(join(dir, 'json', `seed${i}`), s);
    writeFileSync(
      join(dir, 'gcsframe', `seed${i}`),
      Buffer.concat([Buffer.from([7]), encodeFrame(0x10100b01, BigInt(i), s)]),
    );
  });
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('libFuzzer', () => {
  it.each(['json', 'gcsframe'])(
    `%s survives ${BUDGET_S} s of fuzzing`,
    (name) => {
      const r = spawnSync(
        join(PACKAGE_DIR, 'build/fuzz', name),
        [
          `-max_total_time=${BUDGET_S}`,
          '-max_len=8192',
          '-timeout=10',
          `-artifact_prefix=${dir}/`,
          join(dir, name),
        ],
        { encoding: 'utf8', env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1' } },
      );
      const log = `${r.stdout}\n${r.stderr}`;
      expect(log).not.toMatch(/ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:/);
      expect(r.status).toBe(0);
      expect(log).toMatch(/Done \d+ runs in \d+ second/);
    },
    120_000,
  );
});
