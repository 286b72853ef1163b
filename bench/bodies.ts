/**
 * Render throughput of the bodies a NOTIFY fan-out produces (benchmarks.md S0: floor 100k/s,
 * target 200k/s per core), each render including building its data and encoding it.
 */
import { pathToFileURL } from 'node:url';
import type { ExtenStateData, MessageAccumulator } from '../core/pubsub/body-data.js';
import { dialogInfoBodyGenerator } from '../core/pubsub/bodies/dialog-info.js';
import { messageSummaryBodyGenerator } from '../core/pubsub/bodies/message-summary.js';
import { pidfBodyGenerator } from '../core/pubsub/bodies/pidf.js';
import { pidfDigiumBodySupplement } from '../core/pubsub/bodies/pidf-digium-supplement.js';
import { pidfEyebeamBodySupplement } from '../core/pubsub/bodies/pidf-eyebeam-supplement.js';
import { renderBody } from '../core/pubsub/bodies/render.js';
import { xpidfBodyGenerator } from '../core/pubsub/bodies/xpidf.js';
import { DeviceState } from '../core/state/device-state.js';
import { ExtensionState } from '../core/state/extension-state.js';
import { PresenceState } from '../core/state/presence-state.js';

export interface RenderRate {
  name: string;
  perSecond: number;
}

function measure(name: string, fn: (i: number) => string, ms = 300): RenderRate {
  let sink = 0;
  for (let i = 0; i < 2000; i++) sink += Buffer.byteLength(fn(i)); // warm-up
  let n = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(ms) * 1_000_000n;
  let elapsed = 0n;
  while (elapsed < limit) {
    // byteLength flattens the string, as encoding the NOTIFY does.
    for (let k = 0; k < 500; k++) sink += Buffer.byteLength(fn(n++));
    elapsed = process.hrtime.bigint() - start;
  }
  if (sink === 0) throw new Error('nothing rendered');
  return { name, perSecond: Math.round((n * 1e9) / Number(elapsed)) };
}

const STATES = [0, 1, 8, 16, 4, 2, 9];

function exten(i: number): ExtenStateData {
  return {
    exten: String(1000 + (i & 255)),
    local: `sip:${1000 + (i & 255)}@127.0.0.1:5160`,
    remote: 'sip:watcher@127.0.0.1',
    extenState: STATES[i % STATES.length],
    presence: { state: PresenceState.AWAY, subtype: 'lunch', message: 'back at 2' },
    userAgent: 'Digium D70 2_9_1',
    dialogInfo: { version: i },
    deviceStateInfo: [
      {
        device: 'PJSIP/alice',
        state: DeviceState.RINGING,
        causingChannel: { createdAt: 1, caller: { name: 'Alice', number: '1000' }, connected: { name: 'Bob', number: '201' } },
      },
    ],
  };
}

export function benchBodies(ms = 300): RenderRate[] {
  const pidfEyebeam = [pidfEyebeamBodySupplement];
  const pidfBoth = [pidfEyebeamBodySupplement, pidfDigiumBodySupplement];
  const mwi: MessageAccumulator = { newMsgs: 2, oldMsgs: 5, messageAccount: 'sip:*97@127.0.0.1:5160' };
  return [
    measure('pidf+eyebeam', (i) => renderBody(pidfBodyGenerator, pidfEyebeam, exten(i)), ms),
    measure('pidf+eyebeam+digium', (i) => renderBody(pidfBodyGenerator, pidfBoth, exten(i)), ms),
    measure('dialog-info (mixed states, ringing identities)', (i) => renderBody(dialogInfoBodyGenerator, [], exten(i)), ms),
    measure('dialog-info idle', (i) => renderBody(dialogInfoBodyGenerator, [], { ...exten(i), extenState: ExtensionState.NOT_INUSE }), ms),
    measure('xpidf', (i) => renderBody(xpidfBodyGenerator, [], exten(i)), ms),
    measure('simple-message-summary', () => renderBody(messageSummaryBodyGenerator, [], mwi), ms),
  ];
}


if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of benchBodies(1000)) console.log(`${r.name}: ${r.perSecond.toLocaleString('en')} renders/s`);
}
