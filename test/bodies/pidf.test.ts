import assert from 'node:assert/strict';
import type { ExtenStateData } from '../../core/pubsub/body-data.js';
import { pidfBodyGenerator, PIDF_MEDIA_TYPE } from '../../core/pubsub/bodies/pidf.js';
import { isDigiumUserAgent, pidfDigiumBodySupplement } from '../../core/pubsub/bodies/pidf-digium-supplement.js';
import { pidfEyebeamBodySupplement } from '../../core/pubsub/bodies/pidf-eyebeam-supplement.js';
import { renderBody } from '../../core/pubsub/bodies/render.js';
import { ExtensionState } from '../../core/state/extension-state.js';
import { PresenceState, type PresenceInfo } from '../../core/state/presence-state.js';
import { attr, childrenNamed, readXml, type XmlNode } from '../support/xml-reader.js';
import { capturedBodies, ReplayedState } from './capture-bodies.js';

const NOT_SET: PresenceInfo = { state: PresenceState.NOT_SET, subtype: '', message: '' };
const BOTH = [pidfEyebeamBodySupplement, pidfDigiumBodySupplement];

function data(over: Partial<ExtenStateData> = {}): ExtenStateData {
  return {
    exten: '1000',
    local: 'sip:1000@127.0.0.1:5160',
    remote: 'sip:watcher@127.0.0.1',
    extenState: ExtensionState.NOT_INUSE,
    presence: NOT_SET,
    ...over,
  };
}

const render = (d: ExtenStateData, supplements = BOTH) => renderBody(pidfBodyGenerator, supplements, d);

/** Element-by-element comparison: names, namespaces, attribute order and values, text. */
function sameTree(ours: XmlNode, theirs: XmlNode, where = ''): void {
  const here = `${where}/${theirs.name}`;
  assert.equal(ours.name, theirs.name, here);
  assert.equal(ours.namespace, theirs.namespace, `${here} namespace`);
  assert.deepEqual(ours.attributes, theirs.attributes, `${here} attributes`);
  assert.equal(ours.text, theirs.text, `${here} text`);
  assert.equal(ours.children.length, theirs.children.length, `${here} children`);
  ours.children.forEach((c, i) => sameTree(c, theirs.children[i], here));
}

/** Replays a PIDF capture: each NOTIFY body against ours for the state the annotations set. */
function replay(file: string, device: string, presenceProvider: string | null, userAgent: string) {
  const state = new ReplayedState();
  let last: { ours: string; asterisk: string } | undefined;
  const checked: Array<{ ours: string; asterisk: string; d: ExtenStateData }> = [];
  for (const b of capturedBodies(file)) {
    const before = state.extenState(device);
    const changed = state.apply(b.notes);
    const rerender = last === undefined || changed.has('presence') || state.extenState(device) !== before;
    assert.equal(b.contentType, PIDF_MEDIA_TYPE);
    const exten = /^sip:(\d+)@/.exec(readXml(b.body).root.attributes[0].value)?.[1] ?? '';
    const d = data({
      exten,
      local: `sip:${exten}@127.0.0.1:5160`,
      extenState: state.extenState(device),
      presence: presenceProvider === null ? NOT_SET : state.presenceOf(presenceProvider),
      userAgent,
      pidfContactIsWatcher: true,
    });
    if (rerender) {
      last = { ours: render(d), asterisk: b.body };
      checked.push({ ...last, d });
    }
    // A refresh NOTIFY re-sends the last body, so it must equal the last one rendered.
    assert.equal(b.body, last?.ours, `${file} #${b.seq}`);
  }
  return checked;
}

describe('PIDF body generator', () => {
  describe('golden captures (Asterisk f0c1c1a7b7), Asterisk-compatible contact', () => {
    for (const file of ['presence-pidf-transitions.txt', 'presence-no-accept-transitions.txt']) {
      it(`reproduces every NOTIFY body of ${file} byte for byte`, () => {
        const checked = replay(file, 'Custom:alice', null, 'sipmini');
        assert.equal(checked.length, 8, 'initial + 7 transitions');
        assert.deepEqual(
          checked.map((c) => c.d.extenState),
          [0, 1, 8, 16, 4, 2, 9, 0],
        );
      });
    }

    it('reproduces the Digium capture: digium-presence tuple after dm:person, escaped message', () => {
      const checked = replay('presence-pidf-digium-custompresence.txt', 'Custom:bob', 'CustomPresence:bob', 'Digium D70 2_9_1');
      assert.equal(checked.length, 9);
      const dnd = checked.find((c) => c.d.presence.state === PresenceState.DND);
      assert.ok(dnd);
      assert.ok(dnd.ours.includes('<digium_presence type="dnd">&lt;busy &amp; &apos;q&apos;&gt;</digium_presence>'));
      const away = checked.find((c) => c.d.presence.state === PresenceState.AWAY);
      assert.ok(away?.ours.includes('<digium_presence type="away" subtype="lunch">back at 2</digium_presence>'));
    });

    it('reproduces the non-Digium capture: presence changes give identical bodies', () => {
      const checked = replay('presence-pidf-custompresence-nondigium.txt', 'Custom:bob', 'CustomPresence:bob', 'TestPhone/1.0');
      assert.ok(checked.every((c) => !c.ours.includes('digium')));
      assert.equal(new Set(checked.map((c) => c.ours)).size, 2, 'only the device state changes the body');
    });

    it('reproduces the PIDF parts of the RLS capture', () => {
      let parts = 0;
      for (const b of capturedBodies('rls-presence-list.txt')) {
        for (const p of b.parts.filter((x) => x.contentType === PIDF_MEDIA_TYPE)) {
          const root = readXml(p.body).root;
          const exten = attr(childrenNamed(root, 'tuple')[0], 'id') ?? '';
          const note = childrenNamed(root, 'note')[0].text;
          const st = { Ready: 0, 'On the phone': 1, Ringing: 8 }[note];
          assert.notEqual(st, undefined, note);
          const d = data({ exten, local: `sip:${exten}@127.0.0.1:5160`, extenState: st, pidfContactIsWatcher: true });
          assert.equal(render(d), p.body);
          parts++;
        }
      }
      assert.ok(parts >= 6, `${parts} parts`);
    });
  });

  describe('contact (our default differs from Asterisk on purpose)', () => {
    it('holds the presentity URI by default and matches the capture in every other field', () => {
      const b = capturedBodies('presence-pidf-transitions.txt')[1];
      const ours = readXml(render(data({ extenState: ExtensionState.INUSE }))).root;
      const theirs = readXml(b.body).root;
      const contact = (n: XmlNode) => childrenNamed(childrenNamed(n, 'tuple')[0], 'contact')[0];
      assert.equal(contact(ours).text, 'sip:1000@127.0.0.1:5160');
      assert.equal(contact(theirs).text, 'sip:watcher@127.0.0.1');
      contact(ours).text = contact(theirs).text;
      sameTree(ours, theirs);
    });

    it('strips <> from the local URI for entity and contact', () => {
      const out = render(data({ local: '<sip:1000@pbx>' }), []);
      assert.ok(out.includes('<presence entity="sip:1000@pbx" xmlns="urn:ietf:params:xml:ns:pidf">'));
      assert.ok(out.includes('<contact priority="1">sip:1000@pbx</contact>'));
    });

    it('escapes URIs (Asterisk leaves the entity raw)', () => {
      const out = render(data({ local: 'sip:a&b@pbx', remote: 'sip:"w"<x>@h', pidfContactIsWatcher: true }), []);
      assert.ok(out.includes('entity="sip:a&amp;b@pbx"'));
      assert.ok(out.includes('>sip:&quot;w&quot;&lt;x&gt;@h</contact>'));
      readXml(out);
    });
  });

  describe('§3.4 table', () => {
    const rows: Array<[string, number, string, string, boolean]> = [
      ['NOT_INUSE', 0, 'open', 'Ready', false],
      ['INUSE', 1, 'open', 'On the phone', true],
      ['BUSY', 2, 'open', 'On the phone', true],
      ['UNAVAILABLE', 4, 'closed', 'Unavailable', false],
      ['RINGING', 8, 'open', 'Ringing', true],
      ['INUSE|RINGING', 9, 'open', 'Ringing', true],
      ['ONHOLD', 16, 'open', 'On hold', true],
      ['INUSE|ONHOLD', 17, 'open', 'Ready', false],
      ['REMOVED', -2, 'open', 'Ready', false],
      ['DEACTIVATED', -1, 'open', 'Ready', false],
    ];
    for (const [name, st, basic, note, phone] of rows) {
      it(`${name}: basic ${basic}, note "${note}", ${phone ? 'on-the-phone' : 'no activity'}`, () => {
        for (const early of [false, true]) {
          const root = readXml(render(data({ extenState: st, notifyEarlyInuseRinging: early }))).root;
          assert.equal(childrenNamed(root, 'note')[0].text, note);
          const basicNode = childrenNamed(childrenNamed(childrenNamed(root, 'tuple')[0], 'status')[0], 'basic')[0];
          assert.equal(basicNode.text, basic);
          const person = childrenNamed(root, 'dm:person')[0];
          assert.equal(person.namespace, 'urn:ietf:params:xml:ns:pidf:data-model');
          if (phone) {
            const act = person.children[0];
            assert.equal(act.name, 'rpid:activities');
            assert.equal(act.children[0].localName, 'on-the-phone');
            assert.equal(act.children[0].namespace, 'urn:ietf:params:xml:ns:pidf:rpid');
          } else {
            assert.equal(person.children.length, 0);
          }
        }
      });
    }
  });

  describe('eyebeam supplement', () => {
    it('adds xmlns:dm and xmlns:rpid after entity and xmlns, and the empty person with a space', () => {
      const out = render(data(), [pidfEyebeamBodySupplement]);
      assert.ok(
        out.startsWith(
          '<?xml version="1.0" encoding="UTF-8"?>\n<presence entity="sip:1000@127.0.0.1:5160" xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid">\n',
        ),
      );
      assert.ok(out.endsWith(' <dm:person />\n</presence>\n'));
    });

    it('without it there are no dm/rpid namespaces and no person', () => {
      const out = render(data({ extenState: ExtensionState.INUSE }), []);
      assert.ok(!out.includes('dm:') && !out.includes('rpid'));
    });
  });

  describe('digium supplement', () => {
    it('recognises Digium and Sangoma user agents in any case only', () => {
      assert.equal(isDigiumUserAgent('Digium D70 2_9_1'), true);
      assert.equal(isDigiumUserAgent('SANGOMA P370'), true);
      assert.equal(isDigiumUserAgent('digium'), true);
      assert.equal(isDigiumUserAgent('TestPhone/1.0'), false);
      assert.equal(isDigiumUserAgent(''), false);
      assert.equal(isDigiumUserAgent(undefined), false);
    });

    it('adds no tuple for other phones', () => {
      assert.ok(!render(data({ userAgent: 'Yealink SIP-T46S', presence: { state: PresenceState.AWAY, subtype: 'x', message: 'y' } })).includes('digium'));
    });

    const types: Array<[PresenceState, string]> = [
      [PresenceState.NOT_SET, 'not_set'],
      [PresenceState.UNAVAILABLE, 'unavailable'],
      [PresenceState.AVAILABLE, 'available'],
      [PresenceState.AWAY, 'away'],
      [PresenceState.XA, 'xa'],
      [PresenceState.CHAT, 'chat'],
      [PresenceState.DND, 'dnd'],
      [PresenceState.INVALID, ''],
    ];
    for (const [state, type] of types) {
      it(`presence ${PresenceState[state]} -> type="${type}"`, () => {
        const out = render(data({ userAgent: 'Digium D65', presence: { state, subtype: '', message: '' } }));
        assert.ok(out.endsWith(` <tuple id="digium-presence">\n  <status>\n   <digium_presence type="${type}" />\n  </status>\n </tuple>\n</presence>\n`), out);
      });
    }

    it('writes subtype only when set and the message as escaped content', () => {
      const out = render(data({ userAgent: 'digium', presence: { state: PresenceState.AWAY, subtype: 'a"b', message: 'x\r\ny' } }));
      assert.ok(out.includes('<digium_presence type="away" subtype="a&quot;b">x&#13;&#10;y</digium_presence>'), out);
      const noSub = render(data({ userAgent: 'digium', presence: { state: PresenceState.AWAY, subtype: '', message: 'm' } }));
      assert.ok(noSub.includes('<digium_presence type="away">m</digium_presence>'));
    });
  });
});
