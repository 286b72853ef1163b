/**
 * `type=outbound-publish`: every option with Asterisk's defaults, `@` options kept, the
 * required and URI checks of validate_publish_config, and a load → unload → load → unload
 * that gives every registry back (the compliance rule, for a module loaded by path).
 */
import assert from 'node:assert/strict';
import { catalogueNames } from '../../modules/index.js';
import type { OutboundPublishObject } from '../../modules/res_pjsip_outbound_publish/types-outbound-publish.js';
import { makeConfigDir, startInProcess, type InProcessNode } from '../support/node-harness.js';
import { MODULE_JS, startPublishNode, UDP_TRANSPORT, type PublishNode } from './publish-node.js';

describe('res_pjsip_outbound_publish: the outbound-publish object', function () {
  let node: PublishNode | InProcessNode | undefined;

  afterEach(async () => {
    await node?.stop();
    node = undefined;
  });

  it('reads every option, with Asterisk defaults, and keeps @ options', async () => {
    const n = await startPublishNode(`${UDP_TRANSPORT}
[minimal]
type = outbound-publish
server_uri = sip:esc@127.0.0.1:5999
event = presence

[full]
type = outbound-publish
server_uri = sips:esc@example.com
from_uri = sip:pbx@example.com
to_uri = sip:to@example.com
event = dialog
expiration = 90
outbound_auth = a1, a2
outbound_proxy = sip:proxy.example.com\\;lr
max_auth_attempts = 2
transport = udp
multi_user = yes
@body = application/dialog-info+xml
@context = ^users
@exten = ^1000
`);
    node = n;
    const get = (id: string) => n.node.core.sorcery.retrieve<OutboundPublishObject>('outbound-publish', id)!;
    const min = get('minimal');
    assert.deepEqual(
      {
        from_uri: min.from_uri,
        to_uri: min.to_uri,
        expiration: min.expiration,
        outbound_auth: min.outbound_auth,
        outbound_proxy: min.outbound_proxy,
        max_auth_attempts: min.max_auth_attempts,
        transport: min.transport,
        multi_user: min.multi_user,
        extended: min.extended,
      },
      { from_uri: '', to_uri: '', expiration: 3600, outbound_auth: [], outbound_proxy: '', max_auth_attempts: 5, transport: '', multi_user: false, extended: {} },
    );
    const full = get('full');
    assert.equal(full.server_uri, 'sips:esc@example.com');
    assert.equal(full.expiration, 90);
    assert.deepEqual(full.outbound_auth, ['a1', 'a2']);
    assert.equal(full.outbound_proxy, 'sip:proxy.example.com;lr');
    assert.equal(full.max_auth_attempts, 2);
    assert.equal(full.multi_user, true);
    assert.deepEqual(full.extended, { body: 'application/dialog-info+xml', context: '^users', exten: '^1000' });
    assert.deepEqual(
      n.service.clients().map((c) => [c.name, c.event, c.running]),
      [
        ['full', 'dialog', false],
        ['minimal', 'presence', false],
      ],
    );
  });

  it('rejects objects without server_uri or event, with a non-SIP URI, or with an unknown option', async () => {
    const n = await startPublishNode(`${UDP_TRANSPORT}
[noserver]
type = outbound-publish
event = presence

[noevent]
type = outbound-publish
server_uri = sip:esc@127.0.0.1

[telserver]
type = outbound-publish
server_uri = tel:+15551234
event = presence

[badfrom]
type = outbound-publish
server_uri = sip:esc@127.0.0.1
from_uri = mailto:me@example.com
event = presence

[typo]
type = outbound-publish
server_uri = sip:esc@127.0.0.1
event = presence
expiry = 30

[badnumber]
type = outbound-publish
server_uri = sip:esc@127.0.0.1
event = presence
expiration = soon

[good]
type = outbound-publish
server_uri = sip:esc@127.0.0.1
event = presence
`);
    node = n;
    const ids = n.node.core.sorcery.retrieveAll('outbound-publish').map((o) => o.id);
    assert.deepEqual(ids, ['good']);
    const issues = n.node.core.sorcery.issues('outbound-publish').map((i) => `${i.section}: ${i.message}`);
    const expect = [
      /^noserver: .*No server URI specified/,
      /^noevent: .*No event type specified/,
      /^telserver: .*Server URI 'tel:\+15551234' is not a sip\(s\) URI/,
      /^badfrom: .*From URI 'mailto:me@example.com' is not a sip\(s\) URI/,
      /^typo: unknown option 'expiry'/,
      /^badnumber: bad value for 'expiration'/,
    ];
    for (const re of expect) assert.ok(issues.some((i) => re.test(i)), `${re} in\n${issues.join('\n')}`);
  });

  it('load and unload give every registry back', async () => {
    const builtIn = catalogueNames().includes('res_pjsip_outbound_publish');
    const dir = makeConfigDir({
      'modules.conf': `[modules]\nautoload = yes\n${builtIn ? 'noload => res_pjsip_outbound_publish\n' : ''}`,
      'pjsip.conf': `${UDP_TRANSPORT}\n[pres]\ntype = outbound-publish\nserver_uri = sip:esc@127.0.0.1:5999\nevent = presence\n`,
      'extensions.conf': '[default]\n',
    });
    const n = await startInProcess(dir, { noControlSocket: true });
    node = n;
    const core = n.node.core;
    const before = core.registrySnapshot();
    const target = builtIn ? 'res_pjsip_outbound_publish' : MODULE_JS;
    for (let round = 0; round < 2; round++) {
      await n.run(`module load ${target}`);
      assert.ok(core.services.has('outbound_publish'));
      assert.ok(core.sorcery.hasType('outbound-publish'));
      assert.ok(core.cli.has('pjsip show outbound-publishes'));
      assert.equal(core.sorcery.retrieveAll('outbound-publish').length, 1);
      await n.run('module unload res_pjsip_outbound_publish');
      assert.deepEqual(core.registrySnapshot(), before);
    }
  });
});
