/**
 * Parser/serializer throughput on two typical messages: an initial presence SUBSCRIBE and a
 * NOTIFY carrying a PIDF body (shapes taken from the Asterisk captures in peers/recorded).
 * Each figure is measured over about one second after a warm-up.
 */
import { pathToFileURL } from 'node:url';
import { parseMessage } from '../core/sip/parser.js';
import { serializeMessage } from '../core/sip/serializer.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

const crlf = (lines: string[]): string => lines.join('\r\n');

export const TYPICAL_SUBSCRIBE = Buffer.from(
  crlf([
    'SUBSCRIBE sip:1000@127.0.0.1:5160 SIP/2.0',
    'Via: SIP/2.0/UDP 127.0.0.1:5170;rport;branch=z9hG4bK1026cef278fbd4ba',
    'Max-Forwards: 70',
    'From: <sip:watcher@127.0.0.1>;tag=f0aa574c',
    'To: <sip:1000@127.0.0.1:5160>',
    'Call-ID: 39de3b7547660458@drive',
    'CSeq: 1 SUBSCRIBE',
    'Contact: <sip:watcher@127.0.0.1:5170>',
    'Event: presence',
    'Accept: application/pidf+xml',
    'Expires: 600',
    'User-Agent: Digium D70 2_9_1',
    'Content-Length: 0',
    '',
    '',
  ]),
);

const PIDF_BODY = [
  '<?xml version="1.0" encoding="UTF-8"?>',
  '<presence entity="sip:1000@127.0.0.1:5160" xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid">',
  ' <note>On the phone</note>',
  ' <tuple id="1000">',
  '  <status>',
  '   <basic>open</basic>',
  '  </status>',
  '  <contact priority="1">sip:watcher@127.0.0.1</contact>',
  ' </tuple>',
  ' <dm:person>',
  '  <rpid:activities>',
  '   <rpid:on-the-phone />',
  '  </rpid:activities>',
  ' </dm:person>',
  '</presence>',
  '',
].join('\n');

export const TYPICAL_NOTIFY = Buffer.from(
  crlf([
    'NOTIFY sip:watcher@127.0.0.1:5170 SIP/2.0',
    'Via: SIP/2.0/UDP 127.0.0.1:5160;rport;branch=z9hG4bKPjaf0f1cf0-0fc7-4aac-a49d-81e9f0d10bb5',
    'From: <sip:1000@127.0.0.1>;tag=3900f517-cf0c-4a53-8087-593cb2ddae92',
    'To: <sip:watcher@127.0.0.1>;tag=f0aa574c',
    'Contact: <sip:127.0.0.1:5160>',
    'Call-ID: 39de3b7547660458@drive',
    'CSeq: 29262 NOTIFY',
    'Event: presence',
    'Subscription-State: active;expires=599',
    'Allow-Events: message-summary, presence, dialog, refer',
    'Max-Forwards: 70',
    'User-Agent: Asterisk PBX GIT-master-f0c1c1a7b7',
    'Content-Type: application/pidf+xml',
    `Content-Length: ${Buffer.byteLength(PIDF_BODY)}`,
    '',
    PIDF_BODY,
  ]),
);

/** Runs `op` in batches until `ms` have passed; returns operations per second. */
function measure(op: () => void, ms: number): number {
  for (let i = 0; i < 20000; i++) op(); // warm-up: let the JIT settle
  let count = 0;
  const t0 = process.hrtime.bigint();
  const limit = BigInt(ms) * 1000000n;
  let elapsed = 0n;
  do {
    for (let i = 0; i < 1000; i++) op();
    count += 1000;
    elapsed = process.hrtime.bigint() - t0;
  } while (elapsed < limit);
  return count / (Number(elapsed) / 1e9);
}

function parseOrThrow(buf: Buffer): ReturnType<typeof parseMessage> {
  const r = parseMessage(buf);
  if (!r.ok) throw new Error(`benchmark message does not parse: ${r.error}`);
  return r;
}

export async function benchSipParse(durationMs = 1000): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const [label, buf] of [
    ['SUBSCRIBE', TYPICAL_SUBSCRIBE],
    ['NOTIFY+PIDF', TYPICAL_NOTIFY],
  ] as const) {
    const parsed = parseOrThrow(buf);
    if (!parsed.ok) continue;
    const msg = parsed.message;
    let sink = 0;
    const parseRate = measure(() => {
      const r = parseMessage(buf);
      if (r.ok) sink += r.message.cseq.seq;
    }, durationMs);
    const serializeRate = measure(() => {
      sink += serializeMessage(msg).length;
    }, durationMs);
    if (sink === -1) console.log(sink); // keep the results observable so nothing is optimised away
    results.push({ name: `sip parse ${label}`, value: Math.round(parseRate), unit: 'msg/s' });
    results.push({ name: `sip serialize ${label}`, value: Math.round(serializeRate), unit: 'msg/s' });
  }
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchSipParse()) console.log(`${r.name}: ${r.value} ${r.unit}`);
}
