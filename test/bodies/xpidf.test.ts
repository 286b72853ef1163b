import assert from 'node:assert/strict';
import type { ExtenStateData } from '../../core/pubsub/body-data.js';
import { renderBody } from '../../core/pubsub/bodies/render.js';
import {
  CPIM_PIDF_MEDIA_TYPE,
  cpimPidfBodyGenerator,
  createXpidfGenerator,
  XPIDF_MEDIA_TYPE,
  xpidfBodyGenerator,
} from '../../core/pubsub/bodies/xpidf.js';
import { ExtensionState } from '../../core/state/extension-state.js';
import { PresenceState } from '../../core/state/presence-state.js';
import { attr, readXml } from '../support/xml-reader.js';
import { capturedBodies, ReplayedState } from './capture-bodies.js';

function data(over: Partial<ExtenStateData> = {}): ExtenStateData {
  return {
    exten: '1000',
    local: 'sip:1000@127.0.0.1:5160',
    remote: 'sip:watcher@127.0.0.1',
    extenState: ExtensionState.NOT_INUSE,
    presence: { state: PresenceState.NOT_SET, subtype: '', message: '' },
    ...over,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('XPIDF body generator (application/xpidf+xml and application/cpim-pidf+xml)', () => {
  for (const [file, mediaType] of [
    ['presence-xpidf-transitions.txt', XPIDF_MEDIA_TYPE],
    ['presence-cpim-pidf-transitions.txt', CPIM_PIDF_MEDIA_TYPE],
  ] as const) {
    it(`reproduces every NOTIFY body of ${file} byte for byte (atomid taken from the capture)`, () => {
      const state = new ReplayedState();
      let last: string | undefined;
      let rendered = 0;
      for (const b of capturedBodies(file)) {
        const before = state.extenState('Custom:alice');
        state.apply(b.notes);
        assert.equal(b.contentType, mediaType, 'cpim-pidf carries the XPIDF document under its own label');
        if (last === undefined || state.extenState('Custom:alice') !== before) {
          const atomid = attr(readXml(b.body).root.children[1], 'atomid') ?? '';
          assert.match(atomid, UUID);
          const gen = createXpidfGenerator(mediaType, { atomId: () => atomid });
          last = renderBody(gen, [], data({ extenState: state.extenState('Custom:alice') }));
          rendered++;
        }
        assert.equal(b.body, last, `${file} #${b.seq}`);
      }
      assert.equal(rendered, 8);
    });
  }

  const rows: Array<[string, number, string, string]> = [
    ['NOT_INUSE', 0, 'open', 'online'],
    ['INUSE', 1, 'inuse', 'onthephone'],
    ['BUSY', 2, 'inuse', 'onthephone'],
    ['UNAVAILABLE', 4, 'closed', 'offline'],
    ['RINGING', 8, 'inuse', 'onthephone'],
    ['INUSE|RINGING', 9, 'inuse', 'onthephone'],
    ['ONHOLD', 16, 'inuse', 'onthephone'],
    ['INUSE|ONHOLD', 17, 'open', 'online'],
    ['REMOVED', -2, 'open', 'online'],
    ['DEACTIVATED', -1, 'open', 'online'],
  ];
  for (const [name, st, status, substatus] of rows) {
    it(`${name}: status ${status}, substatus ${substatus}`, () => {
      const root = readXml(renderBody(xpidfBodyGenerator, [], data({ extenState: st, notifyEarlyInuseRinging: true }))).root;
      const address = root.children[1].children[0];
      assert.deepEqual(
        address.children.map((c) => c.attributes),
        [[{ name: 'status', value: status }], [{ name: 'substatus', value: substatus }]],
      );
    });
  }

  it('makes a fresh UUID atomid for every body', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const root = readXml(renderBody(cpimPidfBodyGenerator, [], data())).root;
      const id = attr(root.children[1], 'atomid') ?? '';
      assert.match(id, UUID);
      ids.add(id);
    }
    assert.equal(ids.size, 50);
  });

  it('keeps pj attribute order and strips <> from the presentity, escaping URIs', () => {
    const gen = createXpidfGenerator(XPIDF_MEDIA_TYPE, { atomId: () => 'A' });
    const out = renderBody(gen, [], data({ local: '<sip:1&2@pbx>', remote: 'sip:w@h' }));
    assert.equal(
      out,
      '<?xml version="1.0" encoding="UTF-8"?>\n<presence>\n <presentity uri="sip:1&amp;2@pbx;method=SUBSCRIBE" />\n' +
        ' <atom atomid="A" id="1000">\n  <address uri="sip:w@h;user=ip" priority="0.80000">\n' +
        '   <status status="open" />\n   <msnsubstatus substatus="online" />\n  </address>\n </atom>\n</presence>\n',
    );
  });

  it('names its media types', () => {
    assert.equal(xpidfBodyGenerator.mediaType, 'application/xpidf+xml');
    assert.equal(cpimPidfBodyGenerator.mediaType, 'application/cpim-pidf+xml');
    assert.equal(xpidfBodyGenerator.bodyKind, 'exten_state');
  });
});
