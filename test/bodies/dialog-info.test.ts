import assert from 'node:assert/strict';
import { isTstError } from '../../core/errors.js';
import type {
  CallDetails,
  DeviceStateInfo,
  DialogInfoVersionState,
  ExtenStateData,
  PartyIdentity,
} from '../../core/pubsub/body-data.js';
import { DIALOG_INFO_MEDIA_TYPE, dialogInfoBodyGenerator, oldestRingingChannel } from '../../core/pubsub/bodies/dialog-info.js';
import { renderBody } from '../../core/pubsub/bodies/render.js';
import { DeviceState } from '../../core/state/device-state.js';
import { ExtensionState } from '../../core/state/extension-state.js';
import { PresenceState } from '../../core/state/presence-state.js';
import { attr, readXml, type XmlNode } from '../support/xml-reader.js';
import { capturedBodies, ReplayedState } from './capture-bodies.js';

function data(over: Partial<ExtenStateData> = {}): ExtenStateData {
  return {
    exten: '1000',
    local: 'sip:1000@127.0.0.1:5160',
    remote: 'sip:watcher@127.0.0.1',
    extenState: ExtensionState.NOT_INUSE,
    presence: { state: PresenceState.NOT_SET, subtype: '', message: '' },
    dialogInfo: { version: 0 },
    deviceStateInfo: [],
    ...over,
  };
}

const render = (d: ExtenStateData) => renderBody(dialogInfoBodyGenerator, [], d);
const dialogOf = (xml: string): XmlNode => readXml(xml).root.children[0];
const names = (n: XmlNode) => n.children.map((c) => c.name);

const HEAD =
  '<?xml version="1.0" encoding="UTF-8"?>\n<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="0" state="full" entity="sip:1000@127.0.0.1:5160">\n';

function ringing(device: string, createdAt: number, connected: PartyIdentity, caller: PartyIdentity = {}): DeviceStateInfo {
  return { device, state: DeviceState.RINGING, causingChannel: { createdAt, caller, connected } };
}

describe('dialog-info body generator', () => {
  describe('golden captures (Asterisk f0c1c1a7b7)', () => {
    for (const file of ['dialog-info-transitions.txt', 'dialog-no-accept-transitions.txt']) {
      it(`reproduces every NOTIFY body of ${file} byte for byte, one counter for the subscription`, () => {
        const state = new ReplayedState();
        const counter: DialogInfoVersionState = { version: 0 };
        let last: string | undefined;
        let rendered = 0;
        for (const b of capturedBodies(file)) {
          const before = state.extenState('Custom:alice');
          state.apply(b.notes);
          assert.equal(b.contentType, DIALOG_INFO_MEDIA_TYPE);
          if (last === undefined || state.extenState('Custom:alice') !== before) {
            // The subscription's extended watcher has per-device info (Custom: devices have no channel).
            last = render(data({ extenState: state.extenState('Custom:alice'), dialogInfo: counter, deviceStateInfo: [] }));
            rendered++;
          }
          // Refresh and final NOTIFYs re-send the last body: the version repeats.
          assert.equal(b.body, last, `${file} #${b.seq}`);
        }
        assert.equal(rendered, 8);
        assert.equal(counter.version, 8, 'next version after eight bodies');
      });
    }

    it('reproduces the outbound PUBLISH bodies (no per-device info: no <local> when ringing)', () => {
      let n = 0;
      for (const b of capturedBodies('exten-state-publish-dialog-info.txt')) {
        const root = readXml(b.body).root;
        const exten = attr(root.children[0], 'id') ?? '';
        const state = { terminated: 0, confirmed: 1, early: 8 }[root.children[0].children.at(-1)?.text ?? ''] ?? 0;
        const onHold = b.body.includes('+sip.rendering');
        const d = data({
          exten,
          local: `sip:${exten}@127.0.0.1:5160`,
          extenState: onHold ? ExtensionState.ONHOLD : state,
          dialogInfo: { version: Number(attr(root, 'version')) },
          deviceStateInfo: undefined,
        });
        assert.equal(render(d), b.body, `#${b.seq}`);
        n++;
      }
      assert.ok(n >= 8, `${n} bodies`);
    });

    it('reproduces the dialog-info parts of the RLS capture', () => {
      let n = 0;
      for (const b of capturedBodies('rls-dialog-list.txt')) {
        for (const p of b.parts.filter((x) => x.contentType === DIALOG_INFO_MEDIA_TYPE)) {
          const root = readXml(p.body).root;
          const exten = attr(root.children[0], 'id') ?? '';
          const st = { terminated: 0, confirmed: 1, early: 8 }[root.children[0].children.at(-1)?.text ?? ''];
          assert.notEqual(st, undefined);
          const d = data({ exten, local: `sip:${exten}@127.0.0.1:5160`, extenState: st, dialogInfo: { version: Number(attr(root, 'version')) } });
          assert.equal(render(d), p.body);
          n++;
        }
      }
      assert.ok(n >= 6, `${n} parts`);
    });
  });

  describe('§3.4 table', () => {
    const rows: Array<[string, number, string, string]> = [
      ['NOT_INUSE', 0, 'terminated', 'terminated'],
      ['INUSE', 1, 'confirmed', 'confirmed'],
      ['BUSY', 2, 'confirmed', 'confirmed'],
      ['UNAVAILABLE', 4, 'terminated', 'terminated'],
      ['RINGING', 8, 'early', 'early'],
      ['INUSE|RINGING', 9, 'confirmed', 'early'],
      ['ONHOLD', 16, 'confirmed', 'confirmed'],
      ['INUSE|ONHOLD', 17, 'terminated', 'terminated'],
      ['REMOVED', -2, 'terminated', 'terminated'],
      ['DEACTIVATED', -1, 'terminated', 'terminated'],
    ];
    for (const [name, st, plain, early] of rows) {
      it(`${name}: ${plain}, with notify_early_inuse_ringing ${early}`, () => {
        for (const [flag, expected] of [
          [false, plain],
          [true, early],
        ] as const) {
          const dialog = dialogOf(render(data({ extenState: st, notifyEarlyInuseRinging: flag })));
          assert.equal(dialog.children.find((c) => c.name === 'state')?.text, expected);
          assert.equal(attr(dialog, 'direction'), expected === 'early' ? 'recipient' : undefined);
          assert.equal(dialog.children.some((c) => c.name === 'local'), expected === 'early' || st === ExtensionState.ONHOLD);
        }
      });
    }

    it('INUSE|RINGING with notify_early_inuse_ringing is byte-identical to RINGING', () => {
      assert.equal(render(data({ extenState: 9, notifyEarlyInuseRinging: true })), render(data({ extenState: 8 })));
    });

    it('ONHOLD: <local><target><param +sip.rendering=no> after <state>', () => {
      assert.equal(
        render(data({ extenState: ExtensionState.ONHOLD })),
        HEAD +
          ' <dialog id="1000">\n  <state>confirmed</state>\n  <local>\n   <target uri="sip:1000@127.0.0.1:5160">\n' +
          '    <param pname="+sip.rendering" pvalue="no" />\n   </target>\n  </local>\n </dialog>\n</dialog-info>\n',
      );
    });
  });

  describe('version counter', () => {
    it('takes the next version per body and advances the counter it is given', () => {
      const counter = { version: 41 };
      const v = () => attr(readXml(render(data({ dialogInfo: counter }))).root, 'version');
      assert.equal(v(), '41');
      assert.equal(v(), '42');
      assert.equal(counter.version, 43);
    });

    it('keeps counters of different subscriptions apart', () => {
      const a = { version: 0 };
      const b = { version: 0 };
      render(data({ dialogInfo: a }));
      render(data({ dialogInfo: a }));
      render(data({ dialogInfo: b }));
      assert.deepEqual([a.version, b.version], [2, 1]);
    });

    it('wraps at 2^32 like an unsigned int', () => {
      const counter = { version: 4294967295 };
      assert.equal(attr(readXml(render(data({ dialogInfo: counter }))).root, 'version'), '4294967295');
      assert.equal(counter.version, 0);
    });

    it('refuses to render without a counter (TST_ERR_BODY_DATA)', () => {
      assert.throws(() => render(data({ dialogInfo: undefined })), (e: unknown) => isTstError(e, 'TST_ERR_BODY_DATA'));
    });
  });

  describe('ringing identities (Asterisk behaviour)', () => {
    it('shows the oldest ringing channel: connected line as remote, caller id as local', () => {
      const devices: DeviceStateInfo[] = [
        { device: 'PJSIP/a', state: DeviceState.INUSE, causingChannel: { createdAt: 1, caller: { number: '9' }, connected: { number: '9' } } },
        ringing('PJSIP/b', 20, { name: 'Carol', number: '202' }, { name: 'Alice B', number: '100' }),
        ringing('PJSIP/c', 10, { name: 'Bob', number: '201' }, { name: 'Alice', number: '100' }),
        { device: 'PJSIP/d', state: DeviceState.RINGINUSE },
      ];
      assert.equal(oldestRingingChannel(devices)?.createdAt, 10);
      const out = render(data({ extenState: ExtensionState.RINGING, deviceStateInfo: devices }));
      assert.equal(
        out,
        HEAD +
          ' <dialog id="1000" direction="recipient">\n' +
          '  <remote>\n   <identity display="Bob">sip:201@127.0.0.1</identity>\n   <target uri="sip:201@127.0.0.1" />\n  </remote>\n' +
          '  <local>\n   <identity display="Alice">sip:100@127.0.0.1</identity>\n   <target uri="sip:1000@127.0.0.1:5160" />\n  </local>\n' +
          '  <state>early</state>\n </dialog>\n</dialog-info>\n',
      );
    });

    it('restricted name and number, missing number, identityHost', () => {
      const restricted = render(
        data({
          extenState: 8,
          identityHost: 'pbx.example',
          deviceStateInfo: [ringing('PJSIP/b', 1, { name: 'Secret', number: '555', nameRestricted: true, numberRestricted: true }, { number: '100' })],
        }),
      );
      const remote = dialogOf(restricted).children[0];
      assert.equal(remote.name, 'remote');
      assert.deepEqual(remote.children[0].attributes, [{ name: 'display', value: 'anonymous' }]);
      assert.equal(remote.children[0].text, 'sip:anonymous@anonymous.invalid');
      assert.equal(dialogOf(restricted).children[1].children[0].text, 'sip:100@pbx.example');

      const noNumber = dialogOf(render(data({ extenState: 8, deviceStateInfo: [ringing('PJSIP/b', 1, {}, {})] })));
      assert.deepEqual(noNumber.children[0].children[0].attributes, [], 'no display without a name');
      assert.equal(noNumber.children[0].children[0].text, 'sip:invalid@127.0.0.1');
      assert.equal(noNumber.children[1].children[0].text, 'sip:1000@127.0.0.1:5160', 'no caller number: the entity');
    });

    it('no channel: <local> is the entity, no <remote>; no device info: neither', () => {
      assert.deepEqual(names(dialogOf(render(data({ extenState: 8, deviceStateInfo: [] })))), ['local', 'state']);
      assert.deepEqual(names(dialogOf(render(data({ extenState: 8, deviceStateInfo: undefined })))), ['state']);
    });

    it('escapes display names and identities', () => {
      const out = render(data({ extenState: 8, deviceStateInfo: [ringing('PJSIP/b', 1, { name: `O'Brien & <Co>`, number: '2"1' })] }));
      assert.ok(out.includes(`<identity display="O&apos;Brien &amp; &lt;Co&gt;">sip:2&quot;1@127.0.0.1</identity>`), out);
      readXml(out);
    });
  });

  describe('call details (our addition, asterisk/asterisk#803 and mikopbx/Core#1059)', () => {
    const early: CallDetails = {
      callId: 'abc@host',
      localTag: 'lt1',
      remoteTag: 'rt1',
      direction: 'recipient',
      state: 'early',
      remoteIdentity: { uri: 'sip:201@pbx', displayName: 'Bob' },
      localIdentity: { uri: 'sip:1000@pbx' },
    };
    const confirmed: CallDetails = { ...early, callId: 'def@host', localTag: 'lt2', remoteTag: 'rt2', direction: 'initiator', state: 'confirmed' };

    it('ringing: call-id, local-tag, remote-tag, direction on <dialog>, identities from the call', () => {
      const out = render(data({ extenState: 8, calls: [confirmed, early] }));
      const dialog = dialogOf(out);
      assert.deepEqual(dialog.attributes, [
        { name: 'id', value: '1000' },
        { name: 'call-id', value: 'abc@host' },
        { name: 'local-tag', value: 'lt1' },
        { name: 'remote-tag', value: 'rt1' },
        { name: 'direction', value: 'recipient' },
      ]);
      assert.deepEqual(names(dialog), ['remote', 'local', 'state']);
      assert.equal(dialog.children[0].children[0].text, 'sip:201@pbx');
      assert.equal(attr(dialog.children[0].children[1], 'uri'), 'sip:201@pbx');
      assert.equal(dialog.children[1].children[0].text, 'sip:1000@pbx');
      assert.equal(attr(dialog.children[1].children[1], 'uri'), 'sip:1000@127.0.0.1:5160', 'local target is the entity');
    });

    it('confirmed: the confirmed call with its identities (Asterisk sends only <state>)', () => {
      const dialog = dialogOf(render(data({ extenState: 1, calls: [early, confirmed] })));
      assert.equal(attr(dialog, 'call-id'), 'def@host');
      assert.equal(attr(dialog, 'direction'), 'initiator');
      assert.deepEqual(names(dialog), ['remote', 'local', 'state']);
      assert.equal(dialog.children[2].text, 'confirmed');
    });

    it('on hold: one <local> after <state>, with the identity and the rendering param', () => {
      const dialog = dialogOf(render(data({ extenState: ExtensionState.ONHOLD, calls: [confirmed] })));
      assert.deepEqual(names(dialog), ['remote', 'state', 'local']);
      assert.deepEqual(names(dialog.children[2]), ['identity', 'target']);
      assert.equal(dialog.children[2].children[1].children[0].name, 'param');
    });

    it('idle or no matching call: Asterisk body exactly', () => {
      assert.equal(render(data({ extenState: 0, calls: [early] })), render(data({ extenState: 0 })));
      assert.equal(render(data({ extenState: 1, calls: [early] })), render(data({ extenState: 1 })));
    });

    it('a call without identities falls back to the channel identities when ringing', () => {
      const bare: CallDetails = { callId: 'x', localTag: 'l', remoteTag: 'r', direction: 'recipient', state: 'early' };
      const dialog = dialogOf(render(data({ extenState: 8, calls: [bare], deviceStateInfo: [ringing('PJSIP/b', 1, { name: 'Bob', number: '201' })] })));
      assert.equal(attr(dialog, 'call-id'), 'x');
      assert.equal(dialog.children[0].children[0].text, 'sip:201@127.0.0.1');
    });
  });
});
