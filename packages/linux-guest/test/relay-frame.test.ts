/**
 * The relay's guest-side frame parser under libFuzzer with a fixed time budget (20 s); its C unit
 * tests run with the others in c.test.ts. Builds through the Makefile (serialized with other test
 * files).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { make } from './helpers/agent.js';

const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describe('uvmkit-relay frame parser', () => {
  it('survives 20 s of libFuzzer with ASan/UBSan', () => {
    make('fuzz');
    const corpus = mkdtempSync(join(tmpdir(), 'uvmkit-relay-corpus-'));
    try {
      const r = spawnSync(
        join(PKG, 'build/fuzz/relay-frame'),
        [
          '-max_total_time=20',
          '-seed=1',
          '-timeout=10',
          '-rss_limit_mb=1024',
          '-print_final_stats=1',
          corpus,
        ],
        { encoding: 'utf8', timeout: 120_000 },
      );
      const runs = /Done (\d+) runs/.exec(r.stderr);
      expect(r.status, r.stderr.slice(-2000)).toBe(0);
      expect(runs).not.toBeNull();
      expect(Number(runs![1])).toBeGreaterThan(1000);
    } finally {
      rmSync(corpus, { recursive: true, force: true });
    }
  }, 180_000);
});
