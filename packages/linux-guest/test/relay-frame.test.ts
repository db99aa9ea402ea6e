/**
 * The relay's guest-side frame parser: the C unit tests under ASan/UBSan, and a libFuzzer run with
 * a fixed time budget (20 s). Both build through the Makefile (serialized with other test files).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function make(target: string): void {
  execFileSync('flock', [join(tmpdir(), 'uvmkit-linux-guest-make.lock'), 'make', '-s', '-C', PKG, target], {
    stdio: 'inherit',
  });
}

describe('uvmkit-relay frame parser', () => {
  it('passes its C unit tests under ASan/UBSan', () => {
    make('host');
    const r = spawnSync(join(PKG, 'build/host/test-relay-frame'), { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^relay-frame: \d+ checks passed\n$/);
    expect(r.status).toBe(0);
  }, 120_000);

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
