import assert from 'node:assert/strict';
import type { ModuleContext, TsteriskModule } from '../../core/module.js';
import { renderBody } from '../../core/pubsub/bodies/render.js';
import type { BodyGenerator, BodySupplement } from '../../core/pubsub/types.js';
import { normalizeMediaType, OrderedRegistry, Registry, type Disposer } from '../../core/registry/registry.js';
import { ExtensionState } from '../../core/state/extension-state.js';
import { PresenceState } from '../../core/state/presence-state.js';
import dialogInfo from '../../modules/res_pjsip_dialog_info_body_generator.js';
import mwi from '../../modules/res_pjsip_mwi_body_generator.js';
import pidf from '../../modules/res_pjsip_pidf_body_generator.js';
import digium from '../../modules/res_pjsip_pidf_digium_body_supplement.js';
import eyebeam from '../../modules/res_pjsip_pidf_eyebeam_body_supplement.js';
import xpidf from '../../modules/res_pjsip_xpidf_body_generator.js';

/** Loads modules against real registries, tracking disposers as the loader does. */
function host() {
  const generators = new Registry<BodyGenerator>('body generator', normalizeMediaType);
  const supplements = new OrderedRegistry<BodySupplement>('body supplement', normalizeMediaType);
  const disposers = new Map<string, Disposer[]>();
  const load = async (m: TsteriskModule) => {
    const mine: Disposer[] = [];
    disposers.set(m.info.name, mine);
    const track = (d: Disposer) => {
      mine.push(d);
    };
    const ctx = {
      name: m.info.name,
      core: { bodyGenerators: generators.view(m.info.name, track), bodySupplements: supplements.view(m.info.name, track) },
    } as unknown as ModuleContext;
    await m.load(ctx);
  };
  const unload = (name: string) => {
    for (const d of (disposers.get(name) ?? []).reverse()) d();
  };
  return { generators, supplements, load, unload };
}

const expected: Array<[TsteriskModule, string, string]> = [
  [pidf, 'res_pjsip_pidf_body_generator', 'PJSIP Extension State PIDF Provider'],
  [xpidf, 'res_pjsip_xpidf_body_generator', 'PJSIP Extension State PIDF Provider'],
  [dialogInfo, 'res_pjsip_dialog_info_body_generator', 'PJSIP Extension State Dialog Info+XML Provider'],
  [digium, 'res_pjsip_pidf_digium_body_supplement', 'PJSIP PIDF Digium presence supplement'],
  [eyebeam, 'res_pjsip_pidf_eyebeam_body_supplement', 'PJSIP PIDF Eyebeam supplement'],
  [mwi, 'res_pjsip_mwi_body_generator', 'PJSIP MWI resource'],
];

describe('body generator and supplement modules', () => {
  for (const [m, name, description] of expected) {
    it(`${name}: Asterisk's name, description, priority and dependencies`, () => {
      assert.deepEqual(m.info, {
        name,
        description,
        supportLevel: 'core',
        loadPriority: 60,
        requires: ['res_pjsip', 'res_pjsip_pubsub'],
      });
    });
  }

  it('register the media types Asterisk registers, and unloading removes them', async () => {
    const h = host();
    for (const [m] of expected) await h.load(m);
    assert.deepEqual(h.generators.keys().sort(), [
      'application/cpim-pidf+xml',
      'application/dialog-info+xml',
      'application/pidf+xml',
      'application/simple-message-summary',
      'application/xpidf+xml',
    ]);
    assert.equal(h.generators.owner('application/cpim-pidf+xml'), 'res_pjsip_xpidf_body_generator');
    assert.deepEqual(h.supplements.keys(), ['application/pidf+xml']);
    for (const [m] of expected) h.unload(m.info.name);
    assert.deepEqual(h.generators.keys(), []);
    assert.deepEqual(h.supplements.keys(), []);
  });

  it('supplements run eyebeam then digium whatever the load order (as on the wire)', async () => {
    const h = host();
    for (const m of [digium, pidf, eyebeam]) await h.load(m);
    const gen = h.generators.get('application/pidf+xml') as BodyGenerator<'exten_state'>;
    const sups = h.supplements.list('application/pidf+xml') as BodySupplement<'exten_state'>[];
    const out = renderBody(gen, sups, {
      exten: '1001',
      local: 'sip:1001@127.0.0.1:5160',
      remote: 'sip:watcher@127.0.0.1',
      extenState: ExtensionState.NOT_INUSE,
      presence: { state: PresenceState.AVAILABLE, subtype: '', message: '' },
      userAgent: 'Digium D70 2_9_1',
      pidfContactIsWatcher: true,
    });
    assert.ok(out.indexOf('<dm:person />') > 0);
    assert.ok(out.indexOf('<dm:person />') < out.indexOf('digium-presence'));
  });

  it('every generator and supplement declares the exten_state/message_accumulator kind it reads', async () => {
    const h = host();
    for (const [m] of expected) await h.load(m);
    for (const r of h.generators.entries()) {
      assert.equal(r.value.bodyKind, r.key === 'application/simple-message-summary' ? 'message_accumulator' : 'exten_state');
    }
    for (const s of h.supplements.list('application/pidf+xml')) assert.equal(s.bodyKind, 'exten_state');
  });
});
