#!/usr/bin/env node
/**
 * Attack bench (issue 11): one fresh hcsd per attack (from the built package, default limits),
 * printing for each the daemon's RSS before and under the attack and a well-behaved client's
 * Enumerate latency (p50/p99 over 200 sequential calls) while the attack runs:
 *  - pipeline: 3,000 Enumerates (400 KB answers each) from a client that never reads;
 *  - modify-log: 48 Modify requests of 3 MiB on one VM;
 *  - partial-frames: 16 connections each holding a 15 MiB partial frame;
 *  - connections: raw connections opened until hcsd refuses one (connections held);
 *  - deep-json: a Modify nested 10,000 levels (refused; the modify log still inspectable).
 *   node bench/attacks.mjs [--json]
 */
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { performance } from 'node:perf_hooks';

if (process.platform !== 'linux') {
  console.log('attacks bench: Linux only');
  process.exit(0);
}
const { startHcsd, HcsdClient } = await import('../dist/index.js');
const { encodeRequest } = await import('../dist/hcsd/codec.js');
const JSON_OUT = process.argv.includes('--json');

const rss = (pid) =>
  Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const connect = (path) =>
  new Promise((resolve, reject) => {
    const s = createConnection(path);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
const vm = (owner) => ({
  SchemaVersion: { Major: 2, Minor: 1 },
  Owner: owner,
  VirtualMachine: {
    Chipset: { Uefi: {} },
    ComputeTopology: { Memory: { SizeInMB: 1024 }, Processor: { Count: 2 } },
    Devices: {},
  },
});

async function latency(client) {
  const q = JSON.stringify({ Owners: ['nobody'] });
  const times = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    const r = await client.request('Enumerate', 0n, [q]);
    if (r.hresult !== 0) throw new Error(`Enumerate failed ${r.hresult}`);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: +times[100].toFixed(2), p99: +times[197].toFixed(2) };
}

const results = [];
async function attack(name, bound, setup, run) {
  const hcsd = await startHcsd();
  const client = await HcsdClient.connect(hcsd.socketPath);
  try {
    await client.request('Hello', 0n, ['bench', String(process.pid), '1']);
    await setup?.(client, hcsd);
    const idle = await latency(client);
    const before = rss(hcsd.pid);
    const extra = (await run(client, hcsd)) ?? {};
    await sleep(1500);
    const under = rss(hcsd.pid);
    const busy = await latency(client);
    const r = {
      attack: name,
      bound,
      rssBeforeMiB: +before.toFixed(1),
      rssUnderAttackMiB: +under.toFixed(1),
      idleLatencyMs: idle,
      underAttackLatencyMs: busy,
      ...extra,
    };
    results.push(r);
    await extra.cleanup?.();
    delete r.cleanup;
  } finally {
    await client.close().catch(() => {});
    await hcsd.stop();
  }
}

await attack(
  'pipeline 3000 Enumerates, never read',
  'stops reading a client with more than 8 MiB unsent',
  async (c) => {
    for (let i = 0; i < 8; i++)
      await c.request('Create', 0n, [`b${i}`, JSON.stringify(vm('x'.repeat(50_000)))]);
  },
  async (_c, hcsd) => {
    const s = await connect(hcsd.socketPath);
    s.pause();
    s.write(Buffer.concat(Array.from({ length: 3000 }, (_, i) => encodeRequest(14, i + 1, 0n, []))));
    return { cleanup: () => s.destroy() };
  },
);

await attack(
  '48 × 3 MiB Modify on one VM',
  'modify log ≤ 4 MiB per system; documents ≤ 4 MiB',
  undefined,
  async (c) => {
    const r = await c.request('Create', 0n, ['m', JSON.stringify(vm('m'))]);
    await c.request('Start', r.value, []);
    const pad = 'p'.repeat(3 * 1024 * 1024);
    for (let i = 0; i < 48; i++)
      await c.request('Modify', r.value, [JSON.stringify({ GuestRequest: { pad, i } })]);
    return {};
  },
);

await attack(
  '16 connections holding a 15 MiB partial frame',
  'partial frames share a 64 MiB budget; 30 s to complete',
  undefined,
  async (_c, hcsd) => {
    const socks = await Promise.all(Array.from({ length: 16 }, () => connect(hcsd.socketPath)));
    const head = Buffer.alloc(24);
    head.writeUInt32LE(15 * 1024 * 1024 - 4, 0);
    head[4] = 1;
    head[5] = 14;
    const body = Buffer.alloc(15 * 1024 * 1024 - 2048, 0x41);
    for (const s of socks) {
      s.on('error', () => {});
      s.write(head);
      s.write(body);
    }
    return {
      cleanup: () => {
        for (const s of socks) s.destroy();
      },
    };
  },
);

await attack(
  'connection flood',
  'maxConnections 256, refused with an id-0 error frame',
  undefined,
  async (_c, hcsd) => {
    const socks = [];
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const s = await connect(hcsd.socketPath);
      s.on('error', () => {});
      s.once('data', () => refused++);
      socks.push(s);
    }
    // each accepted connection is checked (a helper process per connection): wait until the
    // refusals stop coming
    let last = -1;
    for (let t = 0; t < 40 && (refused !== last || t < 6); t++) {
      last = refused;
      await sleep(500);
    }
    return {
      connectionsHeld: socks.length - refused + 2,
      refused,
      cleanup: () => {
        for (const s of socks) s.destroy();
      },
    };
  },
);

await attack(
  'Modify nested 10,000 levels',
  'documents deeper than 512 levels refused (HCS_E_INVALID_JSON)',
  undefined,
  async (c) => {
    const r = await c.request('Create', 0n, ['d', JSON.stringify(vm('d'))]);
    await c.request('Start', r.value, []);
    const deep = `{"GuestRequest":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const a = await c.request('Modify', r.value, [deep]);
    return { answer: `0x${a.hresult.toString(16)}` };
  },
);

if (JSON_OUT) console.log(JSON.stringify(results, null, 2));
else {
  console.log('\nhcsd under attack (RSS MiB, well-behaved client Enumerate latency ms):');
  for (const r of results) {
    console.log(
      `  ${r.attack.padEnd(46)} RSS ${String(r.rssBeforeMiB).padStart(6)} → ${String(r.rssUnderAttackMiB).padStart(6)}` +
        `  latency p50/p99 idle ${r.idleLatencyMs.p50}/${r.idleLatencyMs.p99}, under attack ${r.underAttackLatencyMs.p50}/${r.underAttackLatencyMs.p99}` +
        (r.connectionsHeld === undefined
          ? ''
          : `  connections held ${r.connectionsHeld} (${r.refused} refused)`) +
        (r.answer === undefined ? '' : `  answer ${r.answer}`),
    );
    console.log(`    bound: ${r.bound}`);
  }
}
