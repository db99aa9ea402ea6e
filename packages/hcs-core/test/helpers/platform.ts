/**
 * Tests that are Linux-only by nature, and why. On Linux they are plain `it`/`describe`. Under
 * Windows Node (`pnpm test:windows`, in Wine) they are reported as skipped, their title ending in
 * `[Linux only: <reason>]`; scripts/test-windows.sh lists every one of them with its reason and
 * fails the stage if any test is skipped without that mark. The hcs-core README lists them too.
 */
import { describe, it } from 'vitest';

const windows = process.platform === 'win32';
const mark = (title: string, reason: string) => `${title} [Linux only: ${reason}]`;

/** `it` for a test that cannot run on Windows, with the reason. */
export function linuxOnlyIt(reason: string): (title: string, fn: () => unknown, timeout?: number) => void {
  return (title, fn, timeout) => (windows ? it.skip(mark(title, reason), fn) : it(title, fn, timeout));
}

/** `describe` for a group that cannot run on Windows, with the reason. */
export function linuxOnlyDescribe(reason: string): (title: string, fn: () => void) => void {
  return (title, fn) => (windows ? describe.skip(mark(title, reason), fn) : describe(title, fn));
}
