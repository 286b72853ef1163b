/**
 * Every presence, dialog and MWI body Asterisk sent in any golden capture (NOTIFY, PUBLISH and
 * RLS parts) is one our generators produce byte for byte from some state: a sweep over the
 * extension states with the fields read from the body itself (exten, entity, version, atomid,
 * presence, counts).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import type { ExtenStateData } from '../../core/pubsub/body-data.js';
import { dialogInfoBodyGenerator } from '../../core/pubsub/bodies/dialog-info.js';
import { messageSummaryBodyGenerator } from '../../core/pubsub/bodies/message-summary.js';
import { pidfBodyGenerator } from '../../core/pubsub/bodies/pidf.js';
import { pidfDigiumBodySupplement } from '../../core/pubsub/bodies/pidf-digium-supplement.js';
import { pidfEyebeamBodySupplement } from '../../core/pubsub/bodies/pidf-eyebeam-supplement.js';
import { renderBody } from '../../core/pubsub/bodies/render.js';
import { createXpidfGenerator } from '../../core/pubsub/bodies/xpidf.js';
import { parsePresenceState, PresenceState } from '../../core/state/presence-state.js';
import { attr, readXml, type XmlNode } from '../support/xml-reader.js';
import { allBodies, ASTERISK_CAPTURES } from './capture-bodies.js';

const STATES = [0, 1, 2, 4, 8, 9, 16];

function find(node: XmlNode, name: string): XmlNode | undefined {
  if (node.name === name) return node;
  for (const c of node.children) {
    const f = find(c, name);
    if (f) return f;
  }
  return undefined;
}

function candidates(contentType: string, body: string): string[] {
  if (contentType === 'application/simple-message-summary') {
    const m = /Voice-Message: (\d+)\/(\d+)/.exec(body);
    const account = /Message-Account: (.*)\r\n/.exec(body)?.[1];
    return [renderBody(messageSummaryBodyGenerator, [], { newMsgs: Number(m?.[1]), oldMsgs: Number(m?.[2]), messageAccount: account })];
  }
  const root = readXml(body).root;
  const base = (exten: string, local: string, remote: string): Omit<ExtenStateData, 'extenState'> => ({
    exten,
    local,
    remote,
    presence: { state: PresenceState.NOT_SET, subtype: '', message: '' },
  });
  const out: string[] = [];
  if (contentType === 'application/pidf+xml') {
    const tuple = find(root, 'tuple') as XmlNode;
    const dp = find(root, 'digium_presence');
    const presence = dp
      ? { state: parsePresenceState(attr(dp, 'type') ?? '') ?? PresenceState.INVALID, subtype: attr(dp, 'subtype') ?? '', message: dp.text }
      : undefined;
    const b = base(attr(tuple, 'id') ?? '', attr(root, 'entity') ?? '', find(root, 'contact')?.text ?? '');
    for (const extenState of STATES) {
      out.push(
        renderBody(pidfBodyGenerator, [pidfEyebeamBodySupplement, pidfDigiumBodySupplement], {
          ...b,
          extenState,
          ...(presence ? { presence, userAgent: 'digium' } : {}),
          pidfContactIsWatcher: true,
        }),
      );
    }
  } else if (contentType === 'application/xpidf+xml' || contentType === 'application/cpim-pidf+xml') {
    const atom = find(root, 'atom') as XmlNode;
    const gen = createXpidfGenerator(contentType, { atomId: () => attr(atom, 'atomid') ?? '' });
    const local = (attr(find(root, 'presentity') as XmlNode, 'uri') ?? '').replace(/;method=SUBSCRIBE$/, '');
    const remote = (attr(find(root, 'address') as XmlNode, 'uri') ?? '').replace(/;user=ip$/, '');
    for (const extenState of STATES) out.push(renderBody(gen, [], { ...base(attr(atom, 'id') ?? '', local, remote), extenState }));
  } else if (contentType === 'application/dialog-info+xml') {
    const b = base(attr(find(root, 'dialog') as XmlNode, 'id') ?? '', attr(root, 'entity') ?? '', '');
    for (const extenState of STATES) {
      for (const deviceStateInfo of [undefined, []]) {
        out.push(renderBody(dialogInfoBodyGenerator, [], { ...b, extenState, deviceStateInfo, dialogInfo: { version: Number(attr(root, 'version')) } }));
      }
    }
  }
  return out;
}

describe('golden coverage: every Asterisk body in the captures is reproducible', () => {
  const files = readdirSync(ASTERISK_CAPTURES).filter((f) => f.endsWith('.txt'));
  const handled = new Set([
    'application/pidf+xml',
    'application/xpidf+xml',
    'application/cpim-pidf+xml',
    'application/dialog-info+xml',
    'application/simple-message-summary',
  ]);
  let total = 0;
  for (const file of files) {
    const bodies = allBodies(file).filter((b) => handled.has(b.contentType));
    if (bodies.length === 0) continue;
    it(`${file}: ${bodies.length} bodies`, () => {
      for (const b of bodies) {
        assert.ok(candidates(b.contentType, b.body).includes(b.body), `not reproducible:\n${b.body}`);
        total++;
      }
    });
  }
  after(() => {
    assert.ok(total > 100, `only ${total} bodies checked`);
  });
});
