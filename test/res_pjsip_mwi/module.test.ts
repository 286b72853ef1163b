/**
 * The module's life cycle, as test/compliance does for catalogue modules (res_pjsip_mwi is
 * loaded from its file until it joins the catalogue): load, unload, load again, unload, with the
 * registries back to their snapshot each time, and its requires enforced.
 */
import assert from 'node:assert/strict';
import type { PjsipService } from '../../modules/res_pjsip/service.js';
import { makeConfigDir, startInProcess, type InProcessNode } from '../support/node-harness.js';
import { MWI_MODULE } from './mwi-node.js';

describe('res_pjsip_mwi module life cycle', function () {
  this.timeout(20000);
  let n: InProcessNode;
  before(async () => {
    n = await startInProcess(makeConfigDir({ 'modules.conf': '[modules]\nautoload=no\n' }), { noControlSocket: true });
  });
  after(async () => n.stop());

  it('declines without its requires', async () => {
    await n.node.loader.load('res_pjsip');
    await assert.rejects(n.node.loader.load(MWI_MODULE), /dependency res_pjsip_pubsub, res_pjsip_mwi_body_generator/);
  });

  it('loads, unloads and loads again cleanly', async () => {
    for (const d of ['res_pjsip_pubsub', 'res_pjsip_mwi_body_generator']) await n.node.loader.load(d);
    const pjsip = n.node.core.services.get('pjsip') as PjsipService;
    const before = n.node.core.registrySnapshot();
    const allowBefore = pjsip.allow();
    const m = await n.node.loader.load(MWI_MODULE);
    assert.equal(m.name, 'res_pjsip_mwi');
    assert.equal(m.status, 'Running');
    const loaded = n.node.core.registrySnapshot();
    assert.ok(loaded.some((k) => k.includes('message-summary')), loaded.join('\n'));
    assert.ok(pjsip.allow().includes('NOTIFY'));
    await n.node.loader.unload('res_pjsip_mwi');
    assert.deepEqual(n.node.core.registrySnapshot(), before, 'unload restores every registry');
    assert.deepEqual(pjsip.allow(), allowBefore, 'and the NOTIFY handler');
    await n.node.loader.load(MWI_MODULE);
    assert.deepEqual(n.node.core.registrySnapshot(), loaded);
    assert.match(await n.run('module reload res_pjsip_mwi'), /reloaded successfully/);
    await n.node.loader.unload('res_pjsip_mwi');
    assert.deepEqual(n.node.core.registrySnapshot(), before);
  });
});
