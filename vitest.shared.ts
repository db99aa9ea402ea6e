// Defaults every project config spreads into its `test` options (file-based projects do not
// inherit the root config). The machines that run these suites have two cores that hcsd, QEMU and
// Wine share with vitest's workers, so the 5 s vitest default is a flake source, not a bound: a
// test that needs less still finishes at once, and one that hangs still fails.
export const timeouts = { testTimeout: 30_000, hookTimeout: 60_000 } as const;
