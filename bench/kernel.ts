/**
 * Kernel micro-benchmarks: device state changes through hints to watchers (the path every BLF
 * NOTIFY starts on) and store writes. Real engines on a real LMDB store in a temp folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ConfigSection } from '../conf/types.js';
import { LogHub } from '../core/log.js';
import { DeviceState, DeviceStateEngine } from '../core/state/device-state.js';
import { ExtensionStateEngine } from '../core/state/extension-state.js';
import { PresenceStateEngine } from '../core/state/presence-state.js';
import { openStore } from '../core/store/lmdb-store.js';
import type { BenchResult } from './sip-parse.js';

function hintsSection(n: number): ConfigSection {
  const variables = [];
  for (let i = 0; i < n; i++) {
    variables.push({ name: 'exten', value: `${10000 + i},hint,Custom:d${i}`, file: 'bench', line: i + 2, object: true, inherited: false });
  }
  return { name: 'bench', file: 'bench', line: 1, templates: [], variables };
}

export async function benchKernel(durationMs = 1000): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tst-bench-'));
  const store = openStore(path.join(dir, 'db'));
  const log = new LogHub().logger('bench');
  const devices = new DeviceStateEngine({ store, eid: '02:00:00:00:00:01', log });
  const presence = new PresenceStateEngine({ store, log });
  const ext = new ExtensionStateEngine({ devices, presence, log });
  const results: BenchResult[] = [];
  try {
    const HINTS = 20000;
    let t0 = performance.now();
    ext.loadDialplan([hintsSection(HINTS)]);
    results.push({ name: `load ${HINTS} hints`, value: Math.round(performance.now() - t0), unit: 'ms' });

    // One hint watched by 5,000 watchers, its device toggling: watcher callbacks per second.
    let calls = 0;
    for (let w = 0; w < 5000; w++) ext.addWatcher('bench', '10000', () => calls++);
    const states = [DeviceState.INUSE, DeviceState.NOT_INUSE];
    let changes = 0;
    t0 = performance.now();
    while (performance.now() - t0 < durationMs) {
      for (let k = 0; k < 10; k++) devices.setState('Custom:d0', states[changes++ & 1]!);
    }
    let secs = (performance.now() - t0) / 1000;
    results.push({ name: 'state change -> 5,000 watchers of one hint', value: Math.round(calls / secs), unit: 'callbacks/s' });

    // Changes spread over 20,000 hints with one watcher each: changes per second.
    for (let i = 1; i < HINTS; i++) ext.addWatcher('bench', String(10000 + i), () => calls++);
    changes = 0;
    t0 = performance.now();
    while (performance.now() - t0 < durationMs) {
      for (let k = 0; k < 100; k++) {
        const i = 1 + ((changes * 7919) % (HINTS - 1));
        devices.setState(`Custom:d${i}`, states[(changes++ >> 4) & 1]!);
      }
    }
    secs = (performance.now() - t0) / 1000;
    results.push({ name: `device state changes over ${HINTS} watched hints`, value: Math.round(changes / secs), unit: 'changes/s' });

    // Batched store writes (un-awaited, as persistence of state does), then one flush.
    let puts = 0;
    t0 = performance.now();
    while (performance.now() - t0 < durationMs / 2) {
      for (let k = 0; k < 100; k++) store.put('bench', `k${puts++ % 50000}`, 'INUSE');
    }
    await store.flush();
    secs = (performance.now() - t0) / 1000;
    results.push({ name: 'store writes (batched, flushed)', value: Math.round(puts / secs), unit: 'writes/s' });

    // Durable writes one after another, as CLI commands do.
    let durable = 0;
    t0 = performance.now();
    while (performance.now() - t0 < durationMs / 2) await store.putDurable('bench', `d${durable++}`, 'x');
    secs = (performance.now() - t0) / 1000;
    results.push({ name: 'store durable writes (each awaited)', value: Math.round(durable / secs), unit: 'writes/s' });
  } finally {
    ext.dispose();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchKernel()) console.log(`${r.name}: ${r.value.toLocaleString('en')} ${r.unit}`);
}
