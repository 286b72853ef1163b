/**
 * `npm run bench`: every benchmark the issues ask for, printed (a benchmark, not a timed test).
 * The machine is named next to the figures: on the project's 2-core machines any load generator
 * shares the cores with the node.
 */
import os from 'node:os';
import { benchBodies } from './bodies.js';
import { benchKernel } from './kernel.js';
import { benchSipParse, type BenchResult } from './sip-parse.js';
import { benchSipStack } from './sip-stack.js';
import { benchRegister } from './register.js';
import { benchStateExchange } from './state-exchange.js';
import { benchMwi } from './mwi.js';
import { benchPresence } from './presence.js';

function print(title: string, rows: BenchResult[]): void {
  console.log(`\n== ${title}`);
  for (const r of rows) console.log(`  ${r.name.padEnd(52)} ${r.value.toLocaleString('en').padStart(12)} ${r.unit}`);
}

const cpus = os.cpus();
console.log(`tsterisk benchmarks on ${cpus.length} cores (${cpus[0]?.model ?? 'unknown cpu'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node.js ${process.version}`);
print('S0 SIP parse/serialize (one core)', await benchSipParse(1000));
print(
  'S0 body render (one core)',
  benchBodies(1000).map((r) => ({ name: r.name, value: r.perSecond, unit: 'renders/s' })),
);
print('kernel: hints, watchers, store (one core)', await benchKernel(1000));
print('S0 SIP stack: non-INVITE transactions over UDP loopback (client and node share the 2 cores)', await benchSipStack());
print('REGISTER driven by SIPp over UDP, memory per contact (SIPp and the node share the 2 cores)', await benchRegister());
print('S1-S4 presence: subscriptions held, set-up rate, fan-out, boot storm (load client and node share the 2 cores)', await benchPresence({ scale: process.argv.includes('--full') ? 'full' : 'reduced' }));
print('S7 state exchange: two nodes in one process, asterisk-devicestate over UDP', await benchStateExchange());
print('S8 MWI: 10,000 mailboxes, boot wave (farm and node share the 2 cores)', await benchMwi());
