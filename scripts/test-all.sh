#!/usr/bin/env bash
# Every test stage, then one plain "N passed, N failed" line over all of them:
#   1. `pnpm test`: build, type tests, every vitest project (the C shim and linux-guest's C tests
#      under ASan/UBSan, the fuzzers, and last the qemu projects' real VMs);
#   2. `pnpm test:windows`: hcs-core, lifetime and scsi under Windows Node in Wine.
# The Debian packages they need are listed in scripts/apt-packages.txt. With $UVMKIT_TEST_SUMMARY
# set, the totals are also written there as JSON ({"passed":N,"failed":N}).
set -uo pipefail
cd "$(dirname "$0")/.."
reports=$(mktemp -d)
status=0

UVMKIT_TEST_REPORT="$reports/vitest.json" pnpm test || status=1
UVMKIT_WINDOWS_SUMMARY="$reports/windows.json" pnpm test:windows || status=1

node - "$reports" "${UVMKIT_TEST_SUMMARY:-}" <<'JS'
const fs = require('node:fs');
const [dir, out] = process.argv.slice(2);
const read = (f) => {
  try {
    return JSON.parse(fs.readFileSync(`${dir}/${f}`, 'utf8'));
  } catch {
    return undefined;
  }
};
const stages = [
  ['pnpm test', read('vitest.json'), (r) => [r.numPassedTests, r.numFailedTests]],
  ['pnpm test:windows', read('windows.json'), (r) => [r.passed, r.failed]],
];
let passed = 0;
let failed = 0;
for (const [name, report, counts] of stages) {
  if (report === undefined) {
    console.log(`${name}: no report (it failed before its tests ran): counted as 1 failure`);
    failed += 1;
    continue;
  }
  const [p, f] = counts(report);
  console.log(`${name}: ${p} passed, ${f} failed`);
  passed += p;
  failed += f;
}
if (out) fs.writeFileSync(out, JSON.stringify({ passed, failed }));
console.log(`${passed} passed, ${failed} failed`);
JS
rm -rf "$reports"
exit "$status"
