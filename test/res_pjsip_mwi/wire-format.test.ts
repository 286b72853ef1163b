import assert from 'node:assert/strict';
import path from 'node:path';
import { messageSummaryBodyGenerator } from '../../core/pubsub/bodies/message-summary.js';
import { renderBody } from '../../core/pubsub/bodies/render.js';
import type { SipRequest } from '../../core/sip/message.js';
import { parseMessage } from '../../core/sip/parser.js';
import { serializeMessage } from '../../core/sip/serializer.js';
import { globalDefaults, type EndpointObject } from '../../modules/res_pjsip/object-types.js';
import { parseSimpleMessageSummary } from '../../modules/res_pjsip_mwi/inbound.js';
import { accumulate, mailboxIds } from '../../modules/res_pjsip_mwi/mailboxes.js';
import { buildUnsolicitedNotify, unsolicitedIdentity } from '../../modules/res_pjsip_mwi/unsolicited-request.js';
import { escapeUser, fromToUri, withUser } from '../../modules/res_pjsip_mwi/uris.js';
import { RECORDED_DIR, readRecordedMessages } from '../support/recorded-messages.js';

const CAPTURE = path.join(RECORDED_DIR, 'asterisk', 'mwi-unsolicited.txt');

/** The first unsolicited NOTIFY Asterisk sent in the capture. */
function capturedNotify(): SipRequest {
  const m = readRecordedMessages(CAPTURE).find((r) => r.raw.toString('latin1').startsWith('NOTIFY '));
  assert.ok(m, 'capture has a NOTIFY');
  const p = parseMessage(m.raw);
  assert.ok(p.ok && p.message.kind === 'request');
  return p.message;
}

function endpoint(over: Partial<EndpointObject> = {}): EndpointObject {
  return {
    id: 'mwiuser',
    from_user: '',
    from_domain: '',
    contact_user: '',
    mwi_from_user: '',
    voicemail_extension: '',
    ...over,
  } as EndpointObject;
}

const GLOBAL = { ...globalDefaults(), default_voicemail_extension: '*97', user_agent: 'Asterisk PBX GIT-master-f0c1c1a7b7' };
const LOCAL = { host: '127.0.0.1', port: 5160, protocol: 'udp' };
const render = (acc: Parameters<typeof messageSummaryBodyGenerator.generate>[1]) => renderBody(messageSummaryBodyGenerator, [], acc);

/** Splits a message-summary body back into its lines (each must end in CRLF). */
function bodyLines(body: string): string[] {
  assert.ok(body.endsWith('\r\n'), 'body ends with CRLF');
  const lines = body.slice(0, -2).split('\r\n');
  for (const l of lines) assert.ok(!l.includes('\n') && !l.includes('\r'), `bare line end in ${JSON.stringify(l)}`);
  return lines;
}

describe('res_pjsip_mwi wire format', () => {
  describe('unsolicited NOTIFY', () => {
    it('reproduces the captured Asterisk NOTIFY header for header (tags, Call-ID, CSeq and Via excepted)', () => {
      const golden = capturedNotify();
      const identity = unsolicitedIdentity(endpoint(), GLOBAL, LOCAL);
      const body = render({ newMsgs: 0, oldMsgs: 0, messageAccount: identity.messageAccount });
      const ours = buildUnsolicitedNotify({
        contactUri: 'sip:mwiuser@127.0.0.1:5170',
        identity,
        allowEvents: ['message-summary', 'presence', 'dialog', 'refer'],
        maxForwards: 70,
        userAgent: GLOBAL.user_agent,
        body,
        fromTag: golden.from.tag!,
        callId: golden.callId,
        cseq: golden.cseq.seq,
      });
      ours.setHeader('Via', golden.getHeader('Via')!);
      // Round trip through the serializer and parser: what goes on the wire is what we compare.
      const wire = parseMessage(serializeMessage(ours));
      assert.ok(wire.ok && wire.message.kind === 'request');
      const got = wire.message;
      assert.equal(got.method, 'NOTIFY');
      assert.equal(got.uri, golden.uri);
      assert.deepEqual(got.getAllHeaders(), golden.getAllHeaders());
      assert.equal(got.bodyText(), golden.bodyText());
      assert.deepEqual(bodyLines(got.bodyText()), ['Messages-Waiting: no', 'Message-Account: sip:*97@127.0.0.1:5160', 'Voice-Message: 0/0 (0/0)']);
    });

    it('puts mwi_from_user in From only, contact_user in Contact, and the endpoint voicemail_extension in Message-Account', () => {
      const id = unsolicitedIdentity(endpoint({ mwi_from_user: 'vm', contact_user: 'pbx', voicemail_extension: '8500' }), GLOBAL, LOCAL);
      assert.equal(id.fromUri, 'sip:vm@127.0.0.1:5160');
      assert.equal(id.contactUri, 'sip:pbx@127.0.0.1:5160');
      // Asterisk clones the From URI (after mwi_from_user) and sets the user.
      assert.equal(id.messageAccount, 'sip:8500@127.0.0.1:5160');
      const req = buildUnsolicitedNotify({ contactUri: 'sip:x@10.0.0.9:5062;transport=tcp', identity: id, allowEvents: [], maxForwards: 70, userAgent: 'ua', body: '' });
      assert.match(req.getHeader('From')!, /^<sip:vm@127\.0\.0\.1>;tag=[0-9a-f]+$/);
      assert.equal(req.getHeader('To'), '<sip:x@10.0.0.9>', 'To as pjsip prints it: no port, no transport');
      assert.equal(req.getHeader('Contact'), '<sip:pbx@127.0.0.1:5160>');
      assert.equal(req.hasHeader('Allow-Events'), false);
    });

    it('uses from_user, from_domain, the transport name off UDP, and no Message-Account without an extension', () => {
      const g = { ...GLOBAL, default_voicemail_extension: '' };
      assert.deepEqual(unsolicitedIdentity(endpoint({ from_user: '100' }), g, { host: '::1', port: 5061, protocol: 'tcp' }), {
        fromUri: 'sip:100@[::1]:5061;transport=TCP',
        contactUri: 'sip:100@[::1]:5061;transport=TCP',
      });
      const d = unsolicitedIdentity(endpoint({ from_domain: 'pbx.example.com' }), GLOBAL, LOCAL);
      assert.equal(d.fromUri, 'sip:mwiuser@pbx.example.com');
      assert.equal(d.messageAccount, 'sip:*97@pbx.example.com');
      // Multi-domain from_user (user@domain) is taken whole, unless disable_multi_domain.
      assert.equal(unsolicitedIdentity(endpoint({ from_user: 'bob@corp.example' }), GLOBAL, LOCAL).fromUri, 'sip:bob@corp.example');
      assert.equal(
        unsolicitedIdentity(endpoint({ id: 'a b' }), GLOBAL, LOCAL).fromUri,
        'sip:a%20b@127.0.0.1:5160',
        'an endpoint name that is no valid user is escaped',
      );
    });

    it('adds a Route for outbound_proxy and keeps Asterisk\'s header order', () => {
      const id = unsolicitedIdentity(endpoint(), GLOBAL, LOCAL);
      const req = buildUnsolicitedNotify({ contactUri: 'sip:a@h', identity: id, allowEvents: ['message-summary'], maxForwards: 69, userAgent: 'ua', body: 'x', outboundProxy: 'sip:proxy.example;lr' });
      assert.deepEqual(
        req.getAllHeaders().map((h) => h[0]),
        ['Via', 'From', 'To', 'Contact', 'Call-ID', 'CSeq', 'Subscription-State', 'Event', 'Allow-Events', 'Route', 'Max-Forwards', 'User-Agent', 'Content-Type'],
      );
      assert.equal(req.getHeader('Route'), '<sip:proxy.example;lr>');
      assert.equal(req.getHeader('Max-Forwards'), '69');
      assert.match(req.getHeader('CSeq')!, /^\d{1,5} NOTIFY$/);
    });
  });

  describe('URIs', () => {
    it('prints From/To URIs without port, transport, maddr, ttl, method, lr and headers', () => {
      assert.equal(fromToUri('sip:a@1.2.3.4:5070;transport=tcp;maddr=x;ttl=1;lr;method=INVITE;user=phone;x=y?h=v'), 'sip:a@1.2.3.4;user=phone;x=y');
      assert.equal(fromToUri('not a uri'), 'not a uri');
    });

    it('replaces and escapes users', () => {
      assert.equal(withUser('sip:vm1000@127.0.0.1:5160', '*97'), 'sip:*97@127.0.0.1:5160');
      assert.equal(withUser('sip:127.0.0.1:5160;transport=tcp', 'vm'), 'sip:vm@127.0.0.1:5160;transport=tcp');
      assert.equal(withUser('tel:+123', 'vm'), undefined);
      assert.equal(escapeUser('a@b<c>é'), 'a%40b%3Cc%3E%C3%A9');
      assert.equal(escapeUser("*97#+-_.!~'()&=$,;?/"), "*97%23+-_.!~'()&=$,;?/");
    });
  });

  describe('mailboxes', () => {
    it('normalizes, de-duplicates and reports bad entries', () => {
      const bad: string[] = [];
      assert.deepEqual(mailboxIds(['1000', '1000@default', ' 2000@work ', '', '@ctx'], (e) => bad.push(e)), ['1000@default', '2000@work']);
      assert.deepEqual(bad, ['@ctx']);
    });

    it('sums counts, urgent ones as urgent-new', () => {
      const counts: Record<string, { new: number; old: number; urgent: number }> = {
        'a@default': { new: 2, old: 1, urgent: 1 },
        'b@default': { new: 3, old: 4, urgent: 0 },
      };
      const reader = { get: (m: string) => counts[m] ?? { new: 0, old: 0, urgent: 0 } };
      assert.deepEqual(accumulate(reader, ['a@default', 'b@default', 'c@default']), { newMsgs: 5, oldMsgs: 5, urgentNew: 1, urgentOld: 0 });
      const lines = bodyLines(render(accumulate(reader, ['a@default', 'b@default'])));
      assert.deepEqual(lines, ['Messages-Waiting: yes', 'Voice-Message: 5/5 (1/0)']);
    });
  });

  describe('inbound simple-message-summary parser', () => {
    it('reads every body of the captures back to the counts they carry', () => {
      for (const file of ['mwi-unsolicited.txt', 'mwi-message-summary.txt']) {
        for (const m of readRecordedMessages(path.join(RECORDED_DIR, 'asterisk', file))) {
          const p = parseMessage(m.raw);
          if (!p.ok || p.message.kind !== 'request' || p.message.method !== 'NOTIFY') continue;
          const body = p.message.bodyText();
          const s = parseSimpleMessageSummary(body);
          assert.ok(s, body);
          const [nw, old] = /Voice-Message: (\d+)\/(\d+)/.exec(body)!.slice(1).map(Number);
          assert.deepEqual(
            { ...s },
            { newMsgs: nw, oldMsgs: old, urgentNew: 0, urgentOld: 0, messagesWaiting: nw! > 0, messageAccount: 'sip:*97@127.0.0.1:5160' },
          );
          // And rendering the parsed summary gives the same body back.
          assert.equal(render({ newMsgs: s.newMsgs, oldMsgs: s.oldMsgs, messageAccount: s.messageAccount }), body);
        }
      }
    });

    it('accepts RFC 3842 variations: any case, no urgent part, spaces, LF line ends, other classes', () => {
      assert.deepEqual(parseSimpleMessageSummary('messages-waiting: YES\nvoice-message:2/8\nfax-message: 1/1 (0/0)\n'), {
        newMsgs: 2,
        oldMsgs: 8,
        urgentNew: 0,
        urgentOld: 0,
        messagesWaiting: true,
      });
      assert.deepEqual(parseSimpleMessageSummary('Voice-Message: 4 / 5 ( 1 / 2 )\r\n'), { newMsgs: 4, oldMsgs: 5, urgentNew: 1, urgentOld: 2 });
      assert.equal(parseSimpleMessageSummary('Voice-Message: 1/2\r\nVoice-Message: 3/4\r\n')?.newMsgs, 3, 'the last line wins, as in Asterisk');
    });

    it('refuses bodies without valid counts (Asterisk took an empty line as one)', () => {
      for (const body of [
        '',
        '\r\n',
        'Messages-Waiting: yes\r\n\r\n',
        'Voice-Message: -1/2\r\n',
        'Voice-Message: 1/2 (3)\r\n',
        'Voice-Message: 1234567890/1\r\n',
        `Voice-Message: 1/1 (0/0)${' '.repeat(2000)}\r\n`,
        'Message-Account: ' + 'a'.repeat(5000) + '\r\n',
      ]) {
        assert.equal(parseSimpleMessageSummary(body), undefined, JSON.stringify(body.slice(0, 40)));
      }
      // An oversized Message-Account line is skipped; the counts still count.
      assert.deepEqual(parseSimpleMessageSummary(`Message-Account: sip:${'a'.repeat(5000)}@x\r\nVoice-Message: 1/0\r\n`), { newMsgs: 1, oldMsgs: 0, urgentNew: 0, urgentOld: 0 });
    });
  });
});
