import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readRecordedMessages, RECORDED_DIR } from '../support/recorded-messages.js';

describe('recorded capture reader', () => {
  it('reads an Asterisk capture with its metadata and annotations', () => {
    const msgs = readRecordedMessages(join(RECORDED_DIR, 'asterisk', 'presence-pidf-transitions.txt'));
    assert.equal(msgs.length, 26);
    const [first, second, third, , fifth] = msgs;
    assert.equal(first.seq, 1);
    assert.equal(first.time, 0.002);
    assert.equal(first.direction, 'SENT');
    assert.equal(first.transport, 'UDP');
    assert.equal(first.src, '127.0.0.1:5170');
    assert.equal(first.dst, '127.0.0.1:5160');
    assert.equal(first.reconstructed, false);
    assert.ok(first.notes.includes('precondition: devstate change Custom:alice NOT_INUSE (before capture start)'));
    assert.ok(first.raw.toString().startsWith('SUBSCRIBE sip:1000@127.0.0.1:5160 SIP/2.0\r\nVia: '));
    assert.ok(first.raw.toString().endsWith('Content-Length: 0\r\n\r\n'));
    assert.equal(second.direction, 'RECEIVED');
    assert.deepEqual(second.notes, []);
    // The body ends with the XML's own LF; the capture's separator LF is not part of it.
    assert.ok(third.raw.toString().endsWith('</presence>\n'));
    assert.deepEqual(third.notes, ['-> SUBSCRIBE answered 200']);
    assert.deepEqual(fifth.notes, ['CLI> devstate change Custom:alice INUSE']);
  });

  it('restores CRLFs in a sip-listen log', () => {
    const msgs = readRecordedMessages(join(RECORDED_DIR, 'baresip-tcp.txt'));
    assert.equal(msgs.length, 20);
    const m = msgs[0];
    assert.equal(m.seq, null);
    assert.equal(m.time, 1.357);
    assert.equal(m.direction, 'RECEIVED');
    assert.equal(m.transport, 'TCP');
    assert.equal(m.peer, '127.0.0.1:60684');
    assert.equal(m.reconstructed, true);
    const text = m.raw.toString();
    assert.ok(text.startsWith('REGISTER sip:127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/TCP'));
    assert.ok(text.endsWith('Content-Length: 0\r\n\r\n'));
    assert.equal(/[^\r]\n/.test(text), false);
    // The PIDF body was sent with bare LFs and keeps them (220 bytes as declared).
    const pidf = msgs.find((x) => x.raw.toString().includes('Content-Type: application/pidf+xml'));
    assert.ok(pidf);
    const body = pidf.raw.subarray(pidf.raw.indexOf('\r\n\r\n') + 4);
    assert.equal(body.length, 220);
    assert.equal(body.includes('\r'), false);
  });

  it('returns nothing for a file in neither format', () => {
    assert.deepEqual(readRecordedMessages(join(RECORDED_DIR, 'asterisk', 'README.md')), []);
  });
});
