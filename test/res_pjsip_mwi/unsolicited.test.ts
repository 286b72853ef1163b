/**
 * Unsolicited MWI end to end over real sockets: res_pjsip_mwi loaded by a node from its file,
 * phones registering with the real registrar, `mwi update` on the CLI.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { SipRequest } from '../../core/sip/message.js';
import { parseMessage } from '../../core/sip/parser.js';
import { buildResponse, serializeMessage } from '../../core/sip/serializer.js';
import { SipStreamFramer } from '../../core/sip/stream-framer.js';
import { RECORDED_DIR, readRecordedMessages } from '../support/recorded-messages.js';
import { TestSipClient } from '../support/sip-client.js';
import type { PjsipNode } from '../res_pjsip/pjsip-node.js';
import { bodyLines, expectNoMoreNotifies, expectedLines, register, startMwiNode, TRANSPORTS, waitNotifies } from './mwi-node.js';

const CONF = `
[global]
type = global
default_voicemail_extension = *97
${TRANSPORTS}
[mwiuser]
type = endpoint
context = blf
aors = mwiuser
mailboxes = 2000@default

[mwiuser]
type = aor
max_contacts = 1
remove_existing = yes

[multi]
type = endpoint
aors = multi
mailboxes = 4000, 4001@default

[multi]
type = aor
max_contacts = 3

[split]
type = endpoint
aors = split
mailboxes = 5000, 5001
aggregate_mwi = no
mwi_from_user = vmail
voicemail_extension = 8500

[split]
type = aor
max_contacts = 1

[e100]
type = endpoint
aors = 100
mailboxes = 6100

[100]
type = aor
max_contacts = 1

[e1000]
type = endpoint
aors = 1000
mailboxes = 6000

[1000]
type = aor
max_contacts = 1

[late]
type = endpoint
aors = late

[late]
type = aor
max_contacts = 1
`;

/** The NOTIFYs Asterisk sent in mwi-unsolicited.txt, in order. */
function goldenNotifies(): SipRequest[] {
  const out: SipRequest[] = [];
  for (const m of readRecordedMessages(path.join(RECORDED_DIR, 'asterisk', 'mwi-unsolicited.txt'))) {
    const p = parseMessage(m.raw);
    if (p.ok && p.message.kind === 'request' && p.message.method === 'NOTIFY') out.push(p.message);
  }
  return out;
}

/** Header names in order, a list header's values counted once. */
function headerNames(r: SipRequest): string[] {
  return r.getAllHeaders().map((h) => h[0]).filter((name, i, all) => i === 0 || all[i - 1] !== name);
}

describe('res_pjsip_mwi unsolicited MWI', function () {
  this.timeout(20000);
  let n: PjsipNode;
  const clients: TestSipClient[] = [];
  const client = async (proto: 'udp' | 'tcp' = 'udp') => {
    const c = proto === 'udp' ? await TestSipClient.udp(n.udpPort) : await TestSipClient.tcp(n.tcpPort);
    clients.push(c);
    return c;
  };
  const update = (box: string, nw: number, old: number) => n.run(`mwi update ${box} ${nw} ${old}`);

  beforeEach(async () => {
    n = await startMwiNode(CONF);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await n.stop();
  });

  it('loads as res_pjsip_mwi with its handlers', async () => {
    const shown = await n.run('module show like mwi');
    assert.match(shown, /res_pjsip_mwi/);
    assert.ok(n.node.core.subscriptionHandlers.has('message-summary'));
    assert.ok(n.pjsip.allow().includes('NOTIFY'));
  });

  it('replays mwi-unsolicited.txt: registration, then three updates, each NOTIFY as Asterisk sent it', async () => {
    const golden = goldenNotifies();
    assert.equal(golden.length, 4);
    const c = await client();
    await register(c, n, 'mwiuser');
    const updates: Array<[number, number]> = [[1, 0], [2, 5], [0, 7]];
    await waitNotifies(c, 1);
    for (const [nw, old] of updates) {
      const before = c.received.filter((r) => r.method === 'NOTIFY').length;
      await update('2000@default', nw, old);
      await waitNotifies(c, before + 1);
    }
    const got = await waitNotifies(c, 4);
    const port = n.udpPort;
    const callIds = new Set<string>();
    const tags = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const ours = got[i]!;
      const theirs = golden[i]!;
      assert.equal(ours.uri, `sip:mwiuser@127.0.0.1:${c.localPort}`);
      // Same headers in the same order (Allow-Events lists what each node has loaded: Asterisk
      // adds refer); values equal once addresses, tags and ids are masked.
      assert.deepEqual(headerNames(ours), headerNames(theirs));
      assert.match(ours.getHeader('From')!, /^<sip:mwiuser@127\.0\.0\.1>;tag=\S+$/);
      assert.equal(ours.getHeader('To'), theirs.getHeader('To'));
      assert.equal(ours.getHeader('Contact'), `<sip:mwiuser@127.0.0.1:${port}>`);
      assert.match(ours.getHeader('CSeq')!, /^\d+ NOTIFY$/);
      for (const h of ['Subscription-State', 'Event', 'Max-Forwards', 'Content-Type']) assert.equal(ours.getHeader(h), theirs.getHeader(h), h);
      assert.ok(ours.getHeaders('Allow-Events').includes('message-summary'));
      assert.match(ours.topVia.host, /^127\.0\.0\.1$/);
      assert.equal(ours.topVia.port, port);
      // The body, line for line, with our port in Message-Account.
      assert.deepEqual(bodyLines(ours), bodyLines(theirs).map((l) => l.replace(':5160', `:${port}`)));
      callIds.add(ours.callId);
      tags.add(ours.from.tag!);
    }
    assert.equal(callIds.size, 4, 'each NOTIFY is its own out-of-dialog request');
    assert.equal(tags.size, 4);
    assert.deepEqual(bodyLines(got[3]!), expectedLines(0, 7, `sip:*97@127.0.0.1:${port}`));
    // The un-REGISTER of the capture sends nothing.
    await register(c, n, 'mwiuser', 'mwiuser', 0);
    await expectNoMoreNotifies(c, 4);
  });

  it('reaches every contact of a multi-contact AOR, summing the mailboxes (aggregate_mwi=yes)', async () => {
    await update('4000@default', 1, 2);
    const phones = [await client(), await client(), await client()];
    for (const [i, p] of phones.entries()) {
      await register(p, n, 'multi');
      await waitNotifies(p, 1);
      // A registration notifies the registering contact only (Asterisk re-sends to all).
      for (const earlier of phones.slice(0, i)) await expectNoMoreNotifies(earlier, 1, 50);
    }
    await update('4001@default', 3, 0);
    for (const p of phones) {
      const got = await waitNotifies(p, 2);
      assert.deepEqual(bodyLines(got[1]!), expectedLines(4, 2, `sip:*97@127.0.0.1:${n.udpPort}`));
      assert.equal(got[1]!.uri, `sip:multi@127.0.0.1:${p.localPort}`);
    }
    for (const p of phones) await expectNoMoreNotifies(p, 2, 100);
  });

  it('sends one NOTIFY per mailbox with aggregate_mwi=no, From user mwi_from_user, Message-Account from voicemail_extension', async () => {
    await update('5000@default', 1, 0);
    await update('5001@default', 0, 2);
    const c = await client();
    await register(c, n, 'split');
    const first = await waitNotifies(c, 2);
    const bodies = first.map((r) => bodyLines(r).join('|')).sort();
    const account = `sip:8500@127.0.0.1:${n.udpPort}`;
    assert.deepEqual(bodies, [expectedLines(0, 2, account).join('|'), expectedLines(1, 0, account).join('|')]);
    for (const r of first) {
      assert.match(r.getHeader('From')!, /^<sip:vmail@127\.0\.0\.1>;tag=/);
      // Asterisk builds the Contact before mwi_from_user changes the From.
      assert.equal(r.getHeader('Contact'), `<sip:split@127.0.0.1:${n.udpPort}>`);
    }
    await update('5001@default', 3, 0);
    const next = await waitNotifies(c, 3);
    assert.deepEqual(bodyLines(next[2]!), expectedLines(3, 0, account));
    await expectNoMoreNotifies(c, 3);
  });

  it('matches the registering AOR exactly, not as a substring (Asterisk: 100 also hits 1000)', async () => {
    await update('6000@default', 7, 0);
    await update('6100@default', 1, 1);
    const a = await client();
    await register(a, n, 'e1000', '1000');
    assert.deepEqual(bodyLines((await waitNotifies(a, 1))[0]!), expectedLines(7, 0, `sip:*97@127.0.0.1:${n.udpPort}`));
    const b = await client();
    await register(b, n, 'e100', '100');
    assert.deepEqual(bodyLines((await waitNotifies(b, 1))[0]!), expectedLines(1, 1, `sip:*97@127.0.0.1:${n.udpPort}`));
    await expectNoMoreNotifies(a, 1);
    await expectNoMoreNotifies(b, 1, 0);
  });

  it('re-sends on every re-registration (a phone that lost state gets it back)', async () => {
    const c = await client();
    await register(c, n, 'mwiuser');
    await waitNotifies(c, 1);
    await update('2000@default', 2, 0);
    await waitNotifies(c, 2);
    await register(c, n, 'mwiuser');
    const got = await waitNotifies(c, 3);
    assert.deepEqual(bodyLines(got[2]!), expectedLines(2, 0, `sip:*97@127.0.0.1:${n.udpPort}`));
  });

  it('goes over the TCP connection the phone registered on, with Asterisk\'s transport parameter', async () => {
    const c = await client('tcp');
    await update('2000@default', 1, 0);
    await register(c, n, 'mwiuser');
    const [r] = await waitNotifies(c, 1);
    assert.equal(r!.topVia.transport, 'TCP');
    assert.equal(r!.uri, `sip:mwiuser@127.0.0.1:${c.localPort};transport=tcp`);
    assert.equal(r!.getHeader('To'), '<sip:mwiuser@127.0.0.1>');
    assert.equal(r!.getHeader('Contact'), `<sip:mwiuser@127.0.0.1:${n.tcpPort};transport=TCP>`);
    assert.deepEqual(bodyLines(r!), expectedLines(1, 0, `sip:*97@127.0.0.1:${n.tcpPort};transport=TCP`));
  });

  /** A TCP "phone" listening on its own port: the NOTIFYs it gets, each answered 200. */
  async function tcpPhone(): Promise<{ port: number; got: SipRequest[]; close: () => Promise<void> }> {
    const got: SipRequest[] = [];
    const sockets = new Set<net.Socket>();
    const server = net.createServer((sock) => {
      sockets.add(sock);
      const framer = new SipStreamFramer();
      sock.on('data', (chunk) => {
        for (const ev of framer.push(chunk)) {
          if (ev.type !== 'message') continue;
          const p = parseMessage(ev.data);
          if (!p.ok || p.message.kind !== 'request') continue;
          got.push(p.message);
          sock.write(serializeMessage(buildResponse(p.message, 200)));
        }
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const close = () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    };
    return { port, got, close };
  }

  async function registerElsewhere(c: TestSipClient, phonePort: number): Promise<void> {
    const res = await c.request('REGISTER', `sip:127.0.0.1:${n.tcpPort}`, {
      fromUser: 'mwiuser',
      toUri: 'sip:mwiuser@127.0.0.1',
      headers: [['Contact', `<sip:mwiuser@127.0.0.1:${phonePort};transport=tcp>`], ['Expires', '120']],
    });
    assert.equal(res.status, 200);
  }

  it('dials the Contact, not the REGISTER connection, when another process registered it over TCP (rewrite_contact=no)', async () => {
    const phone = await tcpPhone();
    try {
      const registrar = await client('tcp');
      await update('2000@default', 2, 1);
      await registerElsewhere(registrar, phone.port);
      const deadline = Date.now() + 3000;
      while (phone.got.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      assert.equal(phone.got.length, 1, 'the phone at the Contact got the registration NOTIFY');
      assert.equal(phone.got[0]!.uri, `sip:mwiuser@127.0.0.1:${phone.port};transport=tcp`);
      assert.deepEqual(bodyLines(phone.got[0]!), expectedLines(2, 1, `sip:*97@127.0.0.1:${n.tcpPort};transport=TCP`));
      await update('2000@default', 3, 1);
      while (phone.got.length < 2 && Date.now() < deadline + 3000) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(bodyLines(phone.got[1]!), expectedLines(3, 1, `sip:*97@127.0.0.1:${n.tcpPort};transport=TCP`));
      await expectNoMoreNotifies(registrar, 0, 100);
    } finally {
      await phone.close();
    }
  });

  it('goes back over the REGISTER connection with rewrite_contact=yes (the NAT case), while it is open', async () => {
    await n.stop();
    n = await startMwiNode(CONF.replace('mailboxes = 2000@default\n', 'mailboxes = 2000@default\nrewrite_contact = yes\n'));
    const phone = await tcpPhone();
    try {
      const registrar = await client('tcp');
      await update('2000@default', 1, 0);
      await registerElsewhere(registrar, phone.port);
      const [r] = await waitNotifies(registrar, 1);
      assert.deepEqual(bodyLines(r!), expectedLines(1, 0, `sip:*97@127.0.0.1:${n.tcpPort};transport=TCP`));
      assert.equal(phone.got.length, 0);
    } finally {
      await phone.close();
    }
  });

  it('takes endpoint mailboxes added or removed by a reload at once, without a new registration', async () => {
    const c = await client();
    await register(c, n, 'late');
    await expectNoMoreNotifies(c, 0, 200);
    await update('8000@default', 3, 3);
    await expectNoMoreNotifies(c, 0, 100);

    writeFileSync(path.join(n.dir, 'pjsip.conf'), CONF.replace('[late]\ntype = endpoint\naors = late\n', '[late]\ntype = endpoint\naors = late\nmailboxes = 8000\n'));
    await n.run('module reload res_pjsip');
    const [r] = await waitNotifies(c, 1);
    assert.deepEqual(bodyLines(r!), expectedLines(3, 3, `sip:*97@127.0.0.1:${n.udpPort}`));
    await update('8000@default', 4, 3);
    await waitNotifies(c, 2);

    // Mailboxes removed: one last NOTIFY clears the lamp, then nothing.
    writeFileSync(path.join(n.dir, 'pjsip.conf'), CONF);
    await n.run('module reload res_pjsip');
    const got = await waitNotifies(c, 3);
    assert.deepEqual(bodyLines(got[2]!), expectedLines(0, 0, `sip:*97@127.0.0.1:${n.udpPort}`));
    await update('8000@default', 5, 3);
    await expectNoMoreNotifies(c, 3);
  });

  it('stops unsolicited NOTIFYs for mailboxes a SUBSCRIBE took over (mwi_subscribe_replaces_unsolicited=yes)', async () => {
    const conf = CONF.replace('mailboxes = 2000@default\n', 'mailboxes = 2000@default\nmwi_subscribe_replaces_unsolicited = yes\n') + '\n[vm2000]\ntype = aor\nmailboxes = 2000\n';
    await n.stop();
    n = await startMwiNode(conf);
    const c = await client();
    await register(c, n, 'mwiuser');
    await waitNotifies(c, 1);
    const sub = await c.request('SUBSCRIBE', `sip:vm2000@127.0.0.1:${n.udpPort}`, {
      fromUser: 'mwiuser',
      headers: [['Contact', `<sip:mwiuser@127.0.0.1:${c.localPort}>`], ['Event', 'message-summary'], ['Expires', '600']],
    });
    assert.equal(sub.status, 200);
    const inDialog = (await waitNotifies(c, 2))[1]!;
    assert.ok(inDialog.to.tag, 'the subscription NOTIFY is in the dialog');
    await update('2000@default', 6, 0);
    const got = await waitNotifies(c, 3);
    assert.ok(got[2]!.to.tag, 'only the in-dialog NOTIFY, no unsolicited one');
    assert.match(got[2]!.getHeader('Subscription-State')!, /^active/);
    await expectNoMoreNotifies(c, 3);
  });
});
