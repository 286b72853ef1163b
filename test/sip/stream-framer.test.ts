import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SipStreamFramer, type FramerEvent } from '../../core/sip/stream-framer.js';
import { parseMessage } from '../../core/sip/parser.js';
import { readRecordedMessages, RECORDED_DIR } from '../support/recorded-messages.js';

function messages(events: FramerEvent[]): Buffer[] {
  return events.flatMap((e) => (e.type === 'message' ? [e.data] : []));
}

function kinds(events: FramerEvent[]): string[] {
  return events.map((e) => e.type);
}

const recorded = readRecordedMessages(join(RECORDED_DIR, 'asterisk', 'rls-presence-list.txt'));
const withBody = recorded.filter((m) => parseMessage(m.raw).ok && m.raw.length > 1000);
const small = recorded[0].raw;

describe('sip stream framer', () => {
  it('has test material: a multipart NOTIFY and a small SUBSCRIBE', () => {
    assert.ok(withBody.length > 0);
    assert.ok(small.toString().startsWith('SUBSCRIBE '));
  });

  it('finds the same messages whatever the chunk boundaries (split at every byte)', () => {
    const big = withBody[0].raw;
    const stream = Buffer.concat([small, Buffer.from('\r\n\r\n'), big, small]);
    for (let cut = 1; cut < stream.length; cut++) {
      const f = new SipStreamFramer();
      const ev = [...f.push(stream.subarray(0, cut)), ...f.push(stream.subarray(cut))];
      assert.deepEqual(kinds(ev), ['message', 'ping', 'message', 'message'], `cut at ${cut}`);
      const got = messages(ev);
      assert.ok(got[0].equals(small) && got[1].equals(big) && got[2].equals(small), `cut at ${cut}`);
      assert.equal(f.buffered, 0);
    }
  });

  it('handles one byte at a time', () => {
    const big = withBody[0].raw;
    const f = new SipStreamFramer();
    const ev: FramerEvent[] = [];
    for (const b of Buffer.concat([big, small])) ev.push(...f.push(Buffer.from([b])));
    const got = messages(ev);
    assert.equal(got.length, 2);
    assert.ok(got[0].equals(big));
    assert.ok(got[1].equals(small));
    const parsed = parseMessage(got[0]);
    assert.ok(parsed.ok);
    assert.equal(parsed.message.body.length, Number(parsed.message.getHeader('Content-Length')));
  });

  it('returns two messages pushed in one chunk, and hands out copies', () => {
    const f = new SipStreamFramer();
    const chunk = Buffer.concat([small, small]);
    const ev = f.push(chunk);
    assert.deepEqual(kinds(ev), ['message', 'message']);
    chunk.fill(0);
    assert.ok(messages(ev)[0].equals(small));
  });

  it('reports CRLFCRLF pings and lone CRLF pongs between messages', () => {
    const f = new SipStreamFramer();
    assert.deepEqual(kinds(f.push(Buffer.from('\r\n\r\n'))), ['ping']);
    assert.deepEqual(kinds(f.push(Buffer.from('\r\n\r\n\r\n\r\n'))), ['ping', 'ping']);
    // A ping split across two reads is still one ping.
    assert.deepEqual(kinds(f.push(Buffer.from('\r\n'))), []);
    assert.deepEqual(kinds(f.push(Buffer.from('\r\n'))), ['ping']);
    // CRLF followed by a message: a pong, then the message.
    assert.deepEqual(kinds(f.push(Buffer.concat([Buffer.from('\r\n'), small]))), ['pong', 'message']);
    assert.equal(f.failed, false);
  });

  it('reads the compact Content-Length form', () => {
    const f = new SipStreamFramer();
    const raw = Buffer.from('MESSAGE sip:a@b SIP/2.0\r\nl: 5\r\n\r\nhelloOPTIONS sip:a@b SIP/2.0\r\nContent-Length:   0\r\n\r\n');
    const got = messages(f.push(raw));
    assert.equal(got.length, 2);
    assert.ok(got[0].toString().endsWith('\r\n\r\nhello'));
    assert.ok(got[1].toString().startsWith('OPTIONS'));
  });

  interface FatalCase {
    name: string;
    input: Buffer;
    error: string;
    status: number;
    limits?: ConstructorParameters<typeof SipStreamFramer>[0];
  }
  const fatal: FatalCase[] = [
    { name: 'a non-numeric Content-Length', input: Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: abc\r\n\r\n'), error: 'Bad Content-Length', status: 400 },
    { name: 'two different Content-Lengths', input: Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\n'), error: 'Bad Content-Length', status: 400 },
    { name: 'a missing Content-Length', input: Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n'), error: 'Missing Content-Length', status: 400 },
    {
      name: 'an over-limit header block',
      input: Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\n${'X-A: b\r\n'.repeat(200)}`),
      error: 'Message Too Large',
      status: 513,
      limits: { maxMessageSize: 1000 },
    },
    {
      name: 'an over-long line',
      input: Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nSubject: ${'a'.repeat(300)}`),
      error: 'Line Too Long',
      status: 400,
      limits: { maxLineLength: 256 },
    },
    { name: 'a body over the limit', input: Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 70000\r\n\r\n'), error: 'Body Too Large', status: 513 },
    {
      name: 'a message over the limit',
      input: Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 900\r\n\r\n'),
      error: 'Message Too Large',
      status: 513,
      limits: { maxMessageSize: 500 },
    },
    { name: 'a stray CR', input: Buffer.from('\rOPTIONS'), error: 'Malformed keep-alive', status: 400 },
  ];
  for (const c of fatal) {
    it(`stops with a fatal error on ${c.name}`, () => {
      const f = new SipStreamFramer(c.limits);
      const ev = f.push(c.input);
      assert.deepEqual(ev, [{ type: 'error', error: c.error, status: c.status }]);
      assert.equal(f.failed, true);
      assert.equal(f.buffered, 0);
      assert.deepEqual(f.push(small), []);
    });
  }

  it('fails on an over-limit header block even when it arrives in small pieces', () => {
    const f = new SipStreamFramer({ maxMessageSize: 2048 });
    let ev: FramerEvent[] = [];
    let pushed = 0;
    while (ev.length === 0 && pushed < 100000) {
      ev = f.push(Buffer.from('X-Header: value\r\n'));
      pushed += 17;
    }
    assert.deepEqual(kinds(ev), ['error']);
    assert.ok(pushed <= 2048 + 17, `failed after ${pushed} bytes`);
  });

  it('accepts a message with a body bigger than its initial buffer', () => {
    const body = 'z'.repeat(20000);
    const raw = Buffer.from(`MESSAGE sip:a@b SIP/2.0\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    const f = new SipStreamFramer();
    const ev = [...f.push(raw.subarray(0, 100)), ...f.push(raw.subarray(100, 15000)), ...f.push(raw.subarray(15000))];
    assert.equal(messages(ev).length, 1);
    assert.ok(messages(ev)[0].equals(raw));
  });
});
