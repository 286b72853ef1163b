/**
 * The golden comparator itself: it must catch every kind of difference (element, namespace,
 * attribute order, text, header, line ends) and its allowed-difference rows must pass only
 * what they name. Uses the captured bodies, no node.
 */
import assert from 'node:assert/strict';
import { SipRequest } from '../../core/sip/message.js';
import { compareBodies, compareHeaders, loadCapture, Rewriter, type BodyView, type DialogTrack, type MessageView, type Mismatch, type Usage } from './replay.js';

const rw = new Rewriter([['127.0.0.1:5160', '127.0.0.1:40000'], ['127.0.0.1:5170', '127.0.0.1:40001']]);

function capturedBody(file: string, seq: number): { type: string; body: string } {
  const step = loadCapture(file).steps.find((s) => s.kind === 'message' && s.label.endsWith(`#${seq}`));
  assert.ok(step && step.kind === 'message');
  return { type: step.msg.getHeader('Content-Type')!, body: step.msg.bodyText() };
}

const view = (over: Partial<BodyView> = {}): BodyView => ({
  watcherUri: 'sip:watcher@127.0.0.1',
  cause: 'change',
  presentity: 'sip:1000@127.0.0.1:40000',
  capLastVersion: undefined,
  ourLastVersion: undefined,
  ...over,
});

function diff(type: string, asterisk: string, ours: string, v = view()): { out: string[]; usage: Usage } {
  const out: Mismatch[] = [];
  const usage: Usage = {};
  compareBodies(type, asterisk, ours, 'x', v, rw, out, usage);
  return { out: out.map((m) => `${m.where}: ${m.asterisk} | ${m.ours}`), usage };
}

describe('golden replay: the comparator', () => {
  const pidf = capturedBody('presence-pidf-transitions.txt', 5);
  const ours = rw.ports(pidf.body).replace('<contact priority="1">sip:watcher@127.0.0.1</contact>', '<contact priority="1">sip:1000@127.0.0.1:40000</contact>');

  it('PIDF: the presentity contact passes (and is counted); the watcher contact does not', () => {
    const ok = diff(pidf.type, pidf.body, ours);
    assert.deepEqual(ok.out, []);
    assert.equal(ok.usage.pidfContact, 1);
    const asAsterisk = diff(pidf.type, pidf.body, rw.ports(pidf.body));
    assert.equal(asAsterisk.out.length, 1);
    assert.match(asAsterisk.out[0]!, /\/presence\/tuple\/contact text/);
  });

  it('catches a changed text, attribute order, namespace, missing element and XML declaration', () => {
    assert.match(diff(pidf.type, pidf.body, ours.replace('On the phone', 'Busy')).out.join('\n'), /\/presence\/note text: "On the phone" \| "Busy"/);
    const swapped = ours.replace('<presence entity="sip:1000@127.0.0.1:40000" xmlns="urn:ietf:params:xml:ns:pidf"', '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:1000@127.0.0.1:40000"');
    assert.match(diff(pidf.type, pidf.body, swapped).out.join('\n'), /attributes \(in order\)/);
    const ns = ours.replace('xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"', 'xmlns:dm="urn:example:dm"');
    assert.match(diff(pidf.type, pidf.body, ns).out.join('\n'), /dm:person> in urn:ietf:params:xml:ns:pidf:data-model \| <dm:person> in urn:example:dm/);
    assert.match(diff(pidf.type, pidf.body, ours.replace(/ <dm:person>[\s\S]*<\/dm:person>\n/, '')).out.join('\n'), /children/);
    assert.match(diff(pidf.type, pidf.body, ours.replace('encoding="UTF-8"', 'encoding="utf-8"')).out.join('\n'), /XML declaration/);
    assert.match(diff(pidf.type, pidf.body, ours.replace('sip:1000@127.0.0.1:40000"', 'sip:1000@127.0.0.1:5160"')).out.join('\n'), /@entity/);
  });

  it('XPIDF: any atom id passes, any other attribute change does not', () => {
    const x = capturedBody('presence-xpidf-transitions.txt', 5);
    const mine = rw.ports(x.body).replace(/atomid="[^"]*"/, 'atomid="another"');
    assert.deepEqual(diff(x.type, x.body, mine).out, []);
    assert.equal(diff(x.type, x.body, mine.replace('atomid="another"', 'atomid=""')).out.length, 1);
    assert.equal(diff(x.type, x.body, mine.replace('priority="0.80000"', 'priority="0.8"')).out.length, 1);
  });

  it('dialog-info version: a counter; +1 allowed only on a refresh where Asterisk repeats', () => {
    const d = capturedBody('dialog-info-transitions.txt', 21); // the refresh NOTIFY, version 7 repeated
    const at = (v: number) => rw.ports(d.body).replace('version="7"', `version="${v}"`);
    assert.deepEqual(diff(d.type, d.body, at(8), view({ cause: 'refresh', capLastVersion: 7, ourLastVersion: 7 })).out, []);
    assert.equal(diff(d.type, d.body, at(7), view({ cause: 'refresh', capLastVersion: 7, ourLastVersion: 7 })).out.length, 1);
    assert.equal(diff(d.type, d.body, at(8), view({ cause: 'unsubscribe', capLastVersion: 7, ourLastVersion: 7 })).out.length, 1);
    assert.deepEqual(diff(d.type, d.body, at(7), view({ cause: 'unsubscribe', capLastVersion: 7, ourLastVersion: 7 })).out, []);
  });

  it('message-summary: line by line, line ends included', () => {
    const a = 'Messages-Waiting: yes\r\nMessage-Account: sip:*97@127.0.0.1:5160\r\nVoice-Message: 2/1 (0/0)\r\n';
    assert.deepEqual(diff('application/simple-message-summary', a, rw.ports(a)).out, []);
    assert.match(diff('application/simple-message-summary', a, rw.ports(a).replace(/\r\n/g, '\n')).out.join('\n'), /line 1/);
  });

  it('headers: the termination reason must match the cause; Allow-Events must be exactly what we serve', () => {
    const d: DialogTrack = { capCallId: 'c', ourCallId: 'o', ourFromTag: 't', watcherUri: 'sip:watcher@127.0.0.1' };
    const m = (over: Partial<MessageView>): MessageView => ({ label: '#1', dialog: d, loaded: () => false, subMinExpiry: 60, capElapsedMs: 0, ourElapsedMs: 0, ...over });
    const msg = (h: Array<[string, string]>) => new SipRequest('NOTIFY', 'sip:x@y', h);
    const run = (a: Array<[string, string]>, o: Array<[string, string]>, v: MessageView) => {
      const out: Mismatch[] = [];
      compareHeaders(msg(a), msg(o), v, rw, out, {});
      return out.map((x) => `${x.where}: ${x.asterisk} | ${x.ours}`);
    };
    const ae: [string, string] = ['Allow-Events', 'message-summary, presence, dialog, refer'];
    assert.deepEqual(run([['Subscription-State', 'terminated'], ae], [['Subscription-State', 'terminated;reason=timeout'], ['Allow-Events', 'presence, dialog']], m({ cause: 'unsubscribe' })), []);
    assert.equal(run([['Subscription-State', 'terminated']], [['Subscription-State', 'terminated;reason=noresource']], m({ cause: 'unsubscribe' })).length, 1);
    assert.equal(run([ae], [['Allow-Events', 'presence, dialog, refer']], m({})).length, 1);
    assert.equal(run([ae], [['Allow-Events', 'presence, dialog']], m({ loaded: (x) => x === 'res_pjsip_mwi' })).length, 1);
    assert.equal(run([], [['Require', 'eventlist']], m({})).length, 1);
  });
});
