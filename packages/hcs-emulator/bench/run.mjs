#!/usr/bin/env node
/**
 * C floor benchmark: builds bench/c-client.c against dist/native/libcomputecore.so, starts hcsd
 * with startHcsd() (from the built package), runs the client and prints its results.
 *
 *   node bench/run.mjs [--iterations N] [--burst N] [--json]
 *
 * The client creates and starts its own VM through the shim. Each `RESULT key=value …` line of the
 * client is parsed; `--json` prints them as a JSON array (for comparing the TS bindings against).
 */
import { spawn } from 'node:child_process';
import { buildBench } from '../scripts/build-native.mjs';

if (process.platform === 'win32') {
  console.log('bench: skipped on Windows (the shim is Linux-only)');
  process.exit(0);
}

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const passThrough = argv.filter((a) => a !== '--json');

const { startHcsd } = await import('../dist/index.js');
const client = buildBench();
const hcsd = await startHcsd();
try {
  const output = await new Promise((resolve, reject) => {
    const child = spawn(client, passThrough, {
      env: { ...process.env, UVMKIT_HCSD_SOCKET: hcsd.socketPath },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      if (!json) process.stdout.write(d.replace(/^RESULT .*\n/gm, ''));
    });
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`c-client exited with ${code}`)),
    );
  });
  const results = output
    .split('\n')
    .filter((l) => l.startsWith('RESULT '))
    .map((l) =>
      Object.fromEntries(
        l
          .slice(7)
          .split(' ')
          .map((kv) => {
            const [k, v = ''] = kv.split('=');
            const n = Number(v);
            return [k, Number.isFinite(n) && v !== '' ? n : v];
          }),
      ),
    );
  if (json) {
    console.log(JSON.stringify(results, null, 2));
  } else {
    console.log('\nmachine-readable (RESULT lines):');
    for (const r of results) console.log(`  ${JSON.stringify(r)}`);
  }
} finally {
  await hcsd.stop();
}
