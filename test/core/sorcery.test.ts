import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfig } from '../../conf/read-config.js';
import { LogHub } from '../../core/log.js';
import { Sorcery, type ObjectEvent, type ObjectTypeSpec } from '../../core/registry/sorcery.js';

const endpointSpec: ObjectTypeSpec = {
  type: 'endpoint',
  file: 'pjsip.conf',
  options: {
    context: { kind: 'string', default: 'default' },
    allow_subscribe: { kind: 'bool', default: true },
    sub_min_expiry: { kind: 'uint', default: 0 },
    device_state_busy_at: { kind: 'uint', default: 0, schema: { maximum: 1000 } },
    aors: { kind: 'list', default: [] },
    dtmf_mode: { kind: 'enum', values: ['rfc4733', 'inband', 'info', 'auto'], default: 'rfc4733' },
  },
};
const aorSpec: ObjectTypeSpec = {
  type: 'aor',
  file: 'pjsip.conf',
  options: { max_contacts: { kind: 'uint', default: 0 }, contact: { kind: 'string', multiple: true, default: [] } },
};
const publishSpec: ObjectTypeSpec = {
  type: 'outbound-publish',
  file: 'pjsip.conf',
  extended: true,
  options: { server_uri: { kind: 'string' } },
};
const inboundSpec: ObjectTypeSpec = {
  type: 'inbound-publication',
  file: 'pjsip.conf',
  options: { endpoint: { kind: 'string' } },
  optionPatterns: [{ pattern: /^event_.+/, spec: { kind: 'string' } }],
};

function setup(text: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tst-sorcery-'));
  writeFileSync(path.join(dir, 'pjsip.conf'), text);
  const hub = new LogHub();
  const logged: string[] = [];
  hub.addSink((l) => logged.push(l));
  let cache = readConfig(dir, 'pjsip.conf');
  const sorcery = new Sorcery(() => cache, hub.logger('sorcery'));
  const rewrite = (t: string) => {
    writeFileSync(path.join(dir, 'pjsip.conf'), t);
    cache = readConfig(dir, 'pjsip.conf');
  };
  return { sorcery, logged, rewrite };
}

describe('core: sorcery object types', () => {
  it('converts options with defaults and keeps same-named objects of different types apart', () => {
    const { sorcery } = setup('[alice]\ntype=endpoint\nallow_subscribe=no\naors=alice, alice2\nsub_min_expiry=30\n[alice]\ntype=aor\nmax_contacts=2\ncontact=sip:a@127.0.0.1\ncontact=sip:b@127.0.0.1\n');
    sorcery.registerType(endpointSpec, 'res_pjsip');
    sorcery.registerType(aorSpec, 'res_pjsip');
    const e = sorcery.retrieve('endpoint', 'alice')!;
    assert.equal(e.allow_subscribe, false);
    assert.deepEqual(e.aors, ['alice', 'alice2']);
    assert.equal(e.sub_min_expiry, 30);
    assert.equal(e.context, 'default');
    assert.equal(e.dtmf_mode, 'rfc4733');
    const a = sorcery.retrieve('aor', 'alice')!;
    assert.equal(a.max_contacts, 2);
    assert.deepEqual(a.contact, ['sip:a@127.0.0.1', 'sip:b@127.0.0.1']);
  });

  it('rejects an object with an unknown option or a bad value, naming file, line, section and option; others load', () => {
    const { sorcery, logged } = setup('[bad1]\ntype=endpoint\nallow_subscribe=maybe\n[bad2]\ntype=endpoint\nbogus=1\n[bad3]\ntype=endpoint\ndevice_state_busy_at=5000\n[good]\ntype=endpoint\n');
    sorcery.registerType(endpointSpec, 'res_pjsip');
    assert.deepEqual(sorcery.retrieveAll('endpoint').map((o) => o.id), ['good']);
    const issues = sorcery.issues('endpoint');
    assert.equal(issues.length, 3);
    assert.deepEqual(
      issues.map((i) => [i.file, i.line, i.section, i.option]),
      [
        ['pjsip.conf', 3, 'bad1', 'allow_subscribe'],
        ['pjsip.conf', 6, 'bad2', 'bogus'],
        ['pjsip.conf', 9, 'bad3', 'device_state_busy_at'],
      ],
    );
    assert.ok(logged.some((l) => l.includes('pjsip.conf:3') && l.includes('[bad1]') && l.includes('allow_subscribe')));
  });

  it('keeps @ options of types that want them, and pattern options', () => {
    const { sorcery } = setup('[p]\ntype=outbound-publish\nserver_uri=sip:esc@127.0.0.1\n@body=application/pidf+xml\n[i]\ntype=inbound-publication\nendpoint=peer\nevent_asterisk-devicestate=peer\n');
    sorcery.registerType(publishSpec, 'res_pjsip_outbound_publish');
    sorcery.registerType(inboundSpec, 'res_pjsip_pubsub');
    assert.deepEqual(sorcery.retrieve('outbound-publish', 'p')!.extended, { body: 'application/pidf+xml' });
    assert.deepEqual(sorcery.retrieve('inbound-publication', 'i')!.patterned, { 'event_asterisk-devicestate': ['peer'] });
  });

  it('reload applies only the differences, and a newly bad object keeps its last good version', () => {
    const { sorcery, rewrite } = setup('[a]\ntype=endpoint\n[b]\ntype=endpoint\ncontext=x\n[c]\ntype=endpoint\n');
    sorcery.registerType(endpointSpec, 'res_pjsip');
    const events: string[] = [];
    sorcery.observe('endpoint', (ev: ObjectEvent) => events.push(`${ev.kind}:${ev.object.id}`));
    const aBefore = sorcery.retrieve('endpoint', 'a');
    rewrite('[a]\ntype=endpoint\n[b]\ntype=endpoint\ncontext=y\n[c]\ntype=endpoint\nallow_subscribe=perhaps\n[d]\ntype=endpoint\n');
    sorcery.reload();
    assert.deepEqual(events.sort(), ['created:d', 'updated:b']);
    assert.equal(sorcery.retrieve('endpoint', 'a'), aBefore, 'an unchanged object keeps its identity');
    assert.equal(sorcery.retrieve('endpoint', 'c')!.allow_subscribe, true, 'bad reload keeps the last good c');
    rewrite('[b]\ntype=endpoint\ncontext=y\n');
    sorcery.reload();
    assert.deepEqual(events.slice(2).sort(), ['deleted:a', 'deleted:c', 'deleted:d']);
  });

  it('lists sections whose type no registered type handles', () => {
    const { sorcery } = setup('[x]\ntype=endpoint\n[y]\ntype=transprot\n');
    sorcery.registerType(endpointSpec, 'res_pjsip');
    assert.deepEqual(sorcery.unhandledSections(['pjsip.conf']).map((u) => [u.section, u.type, u.line]), [['y', 'transprot', 4]]);
  });
});
