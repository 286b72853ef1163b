import assert from 'node:assert/strict';
import { Dialog, DialogTable } from '../../core/sip/dialog.js';
import type { SipRequest } from '../../core/sip/message.js';
import { parseMessage } from '../../core/sip/parser.js';

function req(lines: string[]): SipRequest {
  const r = parseMessage(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`));
  assert.ok(r.ok);
  assert.equal(r.message.kind, 'request');
  return r.message as SipRequest;
}

// The SUBSCRIBE of peers/recorded/asterisk/presence-pidf-transitions.txt.
const SUBSCRIBE = [
  'SUBSCRIBE sip:1000@127.0.0.1:5160 SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.1:5170;rport;branch=z9hG4bK1026cef278fbd4ba',
  'Max-Forwards: 70',
  'From: <sip:watcher@127.0.0.1>;tag=f0aa574c',
  'To: <sip:1000@127.0.0.1:5160>',
  'Call-ID: 39de3b7547660458@drive',
  'CSeq: 1 SUBSCRIBE',
  'Contact: <sip:watcher@127.0.0.1:5170>',
  'Event: presence',
  'Expires: 600',
  'Content-Length: 0',
];

describe('sip dialogs (RFC 3261 12)', () => {
  it('builds the NOTIFY the way the captured Asterisk NOTIFY is addressed', () => {
    const d = Dialog.asUas(req(SUBSCRIBE), { localTag: '3900f517', localContact: 'sip:127.0.0.1:5160', initialLocalCseq: 29260 });
    const n = d.createRequest('NOTIFY', [['Event', 'presence']]);
    assert.equal(n.method, 'NOTIFY');
    assert.equal(n.uri, 'sip:watcher@127.0.0.1:5170');
    assert.equal(n.from.uri, 'sip:1000@127.0.0.1:5160');
    assert.equal(n.from.tag, '3900f517');
    assert.equal(n.to.uri, 'sip:watcher@127.0.0.1');
    assert.equal(n.to.tag, 'f0aa574c');
    assert.equal(n.callId, '39de3b7547660458@drive');
    assert.deepEqual(n.cseq, { seq: 29261, method: 'NOTIFY' });
    assert.equal(n.getHeader('Contact'), '<sip:127.0.0.1:5160>');
    assert.equal(d.createRequest('NOTIFY').cseq.seq, 29262, 'CSeq grows by one per request');
    assert.equal(d.nextHopUri(), 'sip:watcher@127.0.0.1:5170');
  });

  it('keeps the Record-Route set and routes loosely or strictly as 12.2.1.1 says', () => {
    const loose = Dialog.asUas(req([...SUBSCRIBE.slice(0, -1), 'Record-Route: <sip:p1.example;lr>, <sip:p2.example;lr>', 'Content-Length: 0']), {
      localTag: 't',
      localContact: 'sip:me@127.0.0.1',
    });
    const n1 = loose.createRequest('NOTIFY');
    assert.equal(n1.uri, 'sip:watcher@127.0.0.1:5170');
    assert.deepEqual(n1.getHeaders('Route'), ['<sip:p1.example;lr>', '<sip:p2.example;lr>']);
    assert.equal(loose.nextHopUri(), 'sip:p1.example;lr');
    const strict = Dialog.asUas(req([...SUBSCRIBE.slice(0, -1), 'Record-Route: <sip:strict.example>', 'Content-Length: 0']), {
      localTag: 't',
      localContact: 'sip:me@127.0.0.1',
    });
    const n2 = strict.createRequest('NOTIFY');
    assert.equal(n2.uri, 'sip:strict.example');
    assert.deepEqual(n2.getHeaders('Route'), ['<sip:watcher@127.0.0.1:5170>']);
  });

  it('refuses requests that cannot make a dialog', () => {
    assert.throws(() => Dialog.asUas(req(SUBSCRIBE.map((l) => (l.startsWith('From') ? 'From: <sip:watcher@127.0.0.1>' : l))), { localTag: 't', localContact: 'sip:x' }), /Missing From tag/);
    assert.throws(() => Dialog.asUas(req(SUBSCRIBE.filter((l) => !l.startsWith('Contact'))), { localTag: 't', localContact: 'sip:x' }), /Contact/);
  });

  it('accepts in-order requests, refuses older ones, and follows a new Contact', () => {
    const d = Dialog.asUas(req(SUBSCRIBE), { localTag: 'lt', localContact: 'sip:x' });
    const refresh = req(SUBSCRIBE.map((l) => (l.startsWith('CSeq') ? 'CSeq: 2 SUBSCRIBE' : l.startsWith('Contact') ? 'Contact: <sip:watcher@127.0.0.1:5999>' : l.startsWith('To') ? 'To: <sip:1000@127.0.0.1:5160>;tag=lt' : l)));
    assert.equal(d.acceptRequest(refresh), 'ok');
    assert.equal(d.state.remoteTarget, 'sip:watcher@127.0.0.1:5999');
    const stale = req(SUBSCRIBE.map((l) => (l.startsWith('CSeq') ? 'CSeq: 1 SUBSCRIBE' : l)));
    assert.equal(d.acceptRequest(stale), 'out-of-order');
    const table = new DialogTable<Dialog>();
    table.add(d.state.callId, d.state.localTag, d.state.remoteTag, d);
    assert.equal(table.match(refresh), d);
    assert.equal(table.match(req(SUBSCRIBE)), undefined, 'a request without our To tag is not in the dialog');
  });

  it('its state is plain data: a restored dialog continues the CSeq', () => {
    const d = Dialog.asUas(req(SUBSCRIBE), { localTag: 'lt', localContact: 'sip:x', initialLocalCseq: 10 });
    d.createRequest('NOTIFY');
    const restored = new Dialog(JSON.parse(JSON.stringify(d.state)) as Dialog['state']);
    assert.equal(restored.createRequest('NOTIFY').cseq.seq, 12);
    assert.equal(restored.id, d.id);
  });
});
