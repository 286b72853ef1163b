/**
 * State exchange benchmarks (issue 6): two nodes in this process on UDP loopback with the
 * seed's bidirectional configuration (so both nodes and the load share this process's event
 * loop and the machine's cores: the figures are a lower bound).
 *
 * 1. Full resync after a restart: node 1 holds 10,000 local device states; node 2 is stopped
 *    and started again; time from the start call until node 2 holds all 10,000 under node 1's
 *    EID (node start included; it goes through the refresh request, or the 412 recovery).
 * 2. Propagation at 200 changes/s: node 1 changes a device every 5 ms for 3 s; latency from
 *    setState on node 1 to the state recorded on node 2, p50/p99.
 * 3. PUBLISH/s accepted by node 2 as the asterisk-devicestate compositor: 32 publications, each
 *    a chain of MODIFYs (a MODIFY needs the previous ETag), for 3 s.
 */
import { pathToFileURL } from 'node:url';
import { DeviceState } from '../core/state/device-state.js';
import { TestSipClient } from '../test/support/sip-client.js';
import { exchangeConfigDir, freeUdpPort, seedInstance, startExchangeNode, waitFor, type ExchangeNode } from '../test/state-exchange/exchange-node.js';
import type { BenchResult } from './sip-parse.js';

const EID1 = '02:00:00:00:00:01';
const EID2 = '02:00:00:00:00:02';

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function remoteCount(n: ExchangeNode, eid: string): number {
  let c = 0;
  for (const s of n.node.core.devices.list()) if (s.eid === eid) c++;
  return c;
}

export async function benchStateExchange(devices = 10_000): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const p1 = await freeUdpPort();
  const p2 = await freeUdpPort();
  const d1 = exchangeConfigDir(EID1, seedInstance({ self: 'instance1', peer: 'instance2', port: p1, peerPort: p2 }));
  const d2 = exchangeConfigDir(EID2, seedInstance({ self: 'instance2', peer: 'instance1', port: p2, peerPort: p1 }));
  const n1 = await startExchangeNode(d1);
  let n2 = await startExchangeNode(d2);
  try {
    // ---- initial spread, then resync after a restart ------------------------------------
    let t = performance.now();
    for (let i = 0; i < devices; i++) n1.node.core.devices.setState(`PJSIP/dev${i}`, i % 2 ? DeviceState.INUSE : DeviceState.NOT_INUSE);
    await waitFor(() => remoteCount(n2, EID1) >= devices, 120_000, 'initial spread');
    out.push({ name: `initial spread of ${devices} device states`, value: Math.round(performance.now() - t), unit: 'ms' });

    await n2.stop();
    t = performance.now();
    n2 = await startExchangeNode(d2);
    await waitFor(() => remoteCount(n2, EID1) >= devices, 120_000, 'resync');
    out.push({ name: `full resync of ${devices} device states after a restart`, value: Math.round(performance.now() - t), unit: 'ms' });

    // ---- propagation at 200 changes/s -----------------------------------------------------
    const sentAt = new Map<string, number>();
    const lat: number[] = [];
    const off = n2.node.core.devices.onEidUpdate((ev) => {
      if (ev.eid !== EID1) return;
      const k = `${ev.device}|${ev.state}`;
      const s = sentAt.get(k);
      if (s !== undefined) {
        lat.push(performance.now() - s);
        sentAt.delete(k);
      }
    });
    const total = 600;
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const device = `Custom:prop${i % 50}`;
      const state = i % 2 ? DeviceState.BUSY : DeviceState.RINGING;
      const due = t0 + i * 5;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      sentAt.set(`${device}|${state}`, performance.now());
      n1.node.core.devices.setState(device, state);
    }
    await waitFor(() => sentAt.size === 0, 5000, 'propagation').catch(() => undefined);
    off();
    lat.sort((a, b) => a - b);
    out.push({ name: 'propagation at 200 changes/s: p50', value: Math.round(pct(lat, 50) * 10) / 10, unit: 'ms' });
    out.push({ name: 'propagation at 200 changes/s: p99', value: Math.round(pct(lat, 99) * 10) / 10, unit: 'ms' });
    out.push({ name: 'propagation at 200 changes/s: delivered', value: lat.length, unit: `of ${total}` });

    // ---- compositor throughput ------------------------------------------------------------
    const c = await TestSipClient.udp(n2.port);
    const uri = `sip:instance1@127.0.0.1:${n2.port}`;
    let accepted = 0;
    let stop = false;
    const chain = async (k: number) => {
      const eid = `02:00:00:00:${(0x10 + k).toString(16).padStart(2, '0')}:99`;
      let etag: string | undefined;
      let i = 0;
      while (!stop) {
        const body = JSON.stringify({ type: 'devicestate', device: `PJSIP/bench${k}`, state: i++ % 2 ? 'INUSE' : 'NOT_INUSE', cachable: 1, eid });
        const headers: Array<[string, string]> = [['Event', 'asterisk-devicestate'], ['Expires', '600']];
        if (etag !== undefined) headers.push(['SIP-If-Match', etag]);
        const r = await c.send(c.build('PUBLISH', uri, { fromUser: 'instance1', headers, body, contentType: 'application/json' }), 5000).catch(() => undefined);
        if (r?.status === 200) {
          accepted++;
          etag = r.getHeader('SIP-ETag');
        } else etag = undefined;
      }
    };
    const start = performance.now();
    const chains = Array.from({ length: 32 }, (_, k) => chain(k));
    await new Promise((r) => setTimeout(r, 3000));
    stop = true;
    await Promise.all(chains);
    const secs = (performance.now() - start) / 1000;
    c.close();
    out.push({ name: 'asterisk-devicestate PUBLISH accepted (32 chains)', value: Math.round(accepted / secs), unit: 'PUBLISH/s' });
  } finally {
    await n2.stop().catch(() => undefined);
    await n1.stop().catch(() => undefined);
  }
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await benchStateExchange(Number(process.argv[2] ?? 10_000));
  for (const r of rows) console.log(`  ${r.name.padEnd(56)} ${r.value.toLocaleString('en').padStart(10)} ${r.unit}`);
  process.exit(0);
}
