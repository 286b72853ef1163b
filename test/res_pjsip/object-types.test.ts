import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfig } from '../../conf/read-config.js';
import { LogHub } from '../../core/log.js';
import { Sorcery } from '../../core/registry/sorcery.js';
import { computeHa1 } from '../../core/sip/digest.js';
import {
  PJSIP_OBJECT_TYPES,
  authPasswordDigests,
  effectiveAuthAlgorithms,
  effectiveSystemTimers,
  globalDefaults,
  networkContains,
  parseIdentifyHeader,
  transportBindPort,
  type AorObject,
  type AuthObject,
  type DomainAliasObject,
  type EndpointObject,
  type GlobalObject,
  type IdentifyObject,
  type SystemObject,
  type TransportObject,
} from '../../modules/res_pjsip/object-types.js';

const RECORDED = '/work/shared/peers/recorded/asterisk/configs';
const OUR_TYPES = PJSIP_OBJECT_TYPES.map((t) => t.type);

function load(files: Record<string, string>, copies: string[] = []) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tst-pjsipobj-'));
  for (const f of copies) copyFileSync(path.join(RECORDED, f), path.join(dir, f));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const hub = new LogHub();
  const logged: string[] = [];
  hub.addSink((l) => logged.push(l));
  const sorcery = new Sorcery((f) => readConfig(dir, f), hub.logger('sorcery'));
  for (const spec of PJSIP_OBJECT_TYPES) sorcery.registerType(spec, 'res_pjsip');
  return { sorcery, logged };
}

describe('res_pjsip: pjsip.conf object types', () => {
  it('declares every type once, all in pjsip.conf', () => {
    assert.deepEqual([...OUR_TYPES].sort(), ['aor', 'auth', 'domain_alias', 'endpoint', 'global', 'identify', 'system', 'transport']);
    assert.ok(PJSIP_OBJECT_TYPES.every((t) => t.file === 'pjsip.conf'));
  });

  it('loads the recorded Asterisk pjsip.conf (+ pjsip-publish.conf) as-is with zero issues', () => {
    const { sorcery } = load({}, ['pjsip.conf', 'pjsip-publish.conf']);
    for (const t of OUR_TYPES) assert.deepEqual(sorcery.issues(t), [], `issues for ${t}`);
    // Only the types of other modules are left unhandled.
    const others = [...new Set(sorcery.unhandledSections(['pjsip.conf']).map((u) => u.type))].sort();
    assert.deepEqual(others, ['asterisk-publication', 'inbound-publication', 'outbound-publish', 'resource_list']);

    const g = sorcery.retrieve<GlobalObject>('global', 'global')!;
    assert.equal(g.default_voicemail_extension, '*97');
    assert.deepEqual(g.endpoint_identifier_order, ['ip', 'username', 'anonymous']);
    assert.equal(g.max_forwards, 70);
    assert.equal(g.keep_alive_interval, 90);
    assert.equal(g.mwi_tps_queue_high, 500);
    assert.equal(g.mwi_tps_queue_low, -1);
    assert.equal(g.mwi_disable_initial_unsolicited, false);
    assert.equal(g.default_realm, 'asterisk');
    assert.equal(g.default_from_user, 'asterisk');
    assert.equal(g.debug, 'no');
    assert.deepEqual(g.default_auth_algorithms_uas, ['MD5']);

    const udp = sorcery.retrieve<TransportObject>('transport', 'transport-udp')!;
    assert.equal(udp.protocol, 'udp');
    assert.deepEqual(udp.bind, { host: '127.0.0.1', family: 'ipv4', port: 5160 });
    assert.equal(sorcery.retrieve<TransportObject>('transport', 'transport-tcp')!.protocol, 'tcp');
    assert.equal(udp.allow_reload, false);
    assert.equal(udp.websocket_write_timeout, 100);
    assert.deepEqual(udp.local_net, []);

    const watcher = sorcery.retrieve<EndpointObject>('endpoint', 'watcher')!;
    assert.equal(watcher.context, 'blf');
    assert.equal(watcher.allow_subscribe, true);
    assert.equal(watcher.sub_min_expiry, 60);
    assert.deepEqual(watcher.aors, ['vm1000']);
    assert.equal(watcher.subscribe_context, '');
    assert.deepEqual(watcher.identify_by, ['username', 'ip']);
    assert.equal(watcher.aggregate_mwi, true);
    assert.equal(watcher.notify_early_inuse_ringing, false);
    assert.equal(watcher.device_state_busy_at, 0);
    assert.deepEqual(watcher.mailboxes, []);
    assert.equal(sorcery.retrieve<EndpointObject>('endpoint', 'nosub')!.allow_subscribe, false);
    assert.deepEqual(sorcery.retrieve<EndpointObject>('endpoint', 'mwiuser')!.mailboxes, ['2000@default']);
    assert.equal(sorcery.retrieve<EndpointObject>('endpoint', 'peerast')!.context, 'blf');

    const vm = sorcery.retrieve<AorObject>('aor', 'vm1000')!;
    assert.deepEqual(vm.mailboxes, ['1000@default']);
    assert.equal(vm.max_contacts, 0);
    assert.equal(vm.minimum_expiration, 60);
    assert.equal(vm.maximum_expiration, 7200);
    assert.equal(vm.default_expiration, 3600);
    assert.equal(vm.qualify_timeout, 3);
    const mwi = sorcery.retrieve<AorObject>('aor', 'mwiuser')!;
    assert.equal(mwi.max_contacts, 1);
    assert.equal(mwi.remove_existing, true);
    assert.deepEqual(mwi.contact, []);
  });

  const REAL_WORLD = (md5: string, sha: string, trunkMd5: string) => `
[global]
type=global
user_agent=Example PBX
endpoint_identifier_order=ip,username,anonymous,header,auth_username
keep_alive_interval=20
mwi_tps_queue_high=1000
mwi_disable_initial_unsolicited=yes
default_auth_algorithms_uas=SHA-256, md5
taskprocessor_overload_trigger=PJSIP_ONLY

[system]
type=system
timer_t1=50
compact_headers=yes

[transport-udp]
type=transport
protocol=udp
bind=0.0.0.0
external_media_address=203.0.113.5
external_signaling_address=203.0.113.5
local_net=192.168.0.0/16
local_net=10.0.0.0/255.0.0.0, 172.16.0.0/12
tos=cs3
cos=3

[transport-tls]
type=transport
protocol=tls
bind=[::]:5062
cert_file=/etc/asterisk/keys/asterisk.crt
priv_key_file=/etc/asterisk/keys/asterisk.key
method=TLSv1_2
verify_server=yes

[transport-tls-default-port]
type=transport
protocol=tls
bind=::
cert_file=/k.crt
priv_key_file=/k.key

[transport-wss]
type=transport
protocol=wss
bind=0.0.0.0

[transport-flow]
type=transport
protocol=flow

[endpoint-basic](!)
type=endpoint
context=from-internal
disallow=all
allow=ulaw
allow=alaw,g722
direct_media=no
rtp_symmetric=yes
rewrite_contact=yes
allow_subscribe=yes
sub_min_expiry=60
device_state_busy_at=1
send_pai=yes
tos_audio=ef
timers=forced
100rel=no
dtmf_mode=AUTO_INFO

[auth-userpass](!)
type=auth
auth_type=userpass

[aor-single-reg](!)
type=aor
max_contacts=1
remove_existing=yes
qualify_frequency=60

[1000](endpoint-basic)
auth=1000
aors=1000
callerid="Alice Example" <1000>
mailboxes=1000@default
voicemail_extension=*97
subscribe_context=blf
identify_by=username, auth_username
notify_early_inuse_ringing=yes
from_user=1000
set_var=CHANNEL(language)=en
permit=192.168.0.0/16, !192.168.1.5

[1000](auth-userpass)
password=1000secret
username=1000

[1000](aor-single-reg)
mailboxes=1000@default,1000@other
contact=sip:1000@192.168.1.20:5060

[1001](endpoint-basic)
auth=1001
aors=1001
mailboxes=1001@default, 1002@default
aggregate_mwi=no
mwi_from_user=voicemail
mwi_subscribe_replaces_unsolicited=yes
incoming_mwi_mailbox=1001@external
allow_subscribe=no

[1001]
type=auth
auth_type=digest
username=1001
password_digest=SHA-256:${sha}, MD5:${md5.toUpperCase()}
supported_algorithms_uas=SHA-256,MD5
supported_algorithms_uac=sha-256
realm=pbx.example.com
nonce_lifetime=60

[1001](aor-single-reg)

[trunk]
type=endpoint
context=from-trunk
transport=transport-udp
outbound_auth=trunk-auth
aors=trunk
from_user=4930123
from_domain=sip.provider.example
identify_by=ip

[trunk-auth]
type=auth
auth_type=md5
username=4930123
md5_cred=${trunkMd5}
realm=sip.provider.example

[trunk]
type=aor
contact=sip:sip.provider.example
contact=sip:backup.provider.example:5070, sip:[2001:db8::5]:5060
qualify_frequency=30
outbound_proxy=sip:proxy.provider.example\\;lr

[trunk]
type=identify
endpoint=trunk
match=203.0.113.77/24
match=198.51.100.7:5060,sip.provider.example
match=!203.0.113.9
match=2001:db8::1/32
srv_lookups=no

[hdr-identify]
type=identify
endpoint=trunk
match_header=X-Trunk: /^prov.*/

[pbx.example.com]
type=domain_alias
domain=example.com
`;

  it('loads a typical real-world config with templates, field by field', () => {
    const md5 = computeHa1('MD5', '1001', 'pbx.example.com', 'pw1001');
    const sha = computeHa1('SHA-256', '1001', 'pbx.example.com', 'pw1001');
    const trunkMd5 = computeHa1('MD5', '4930123', 'sip.provider.example', 'trunkpw');
    const { sorcery } = load({ 'pjsip.conf': REAL_WORLD(md5, sha, trunkMd5) });
    for (const t of OUR_TYPES) assert.deepEqual(sorcery.issues(t), [], `issues for ${t}`);
    assert.equal(sorcery.retrieveAll('endpoint').length, 3, 'templates are not objects');

    const g = sorcery.retrieve<GlobalObject>('global', 'global')!;
    assert.equal(g.user_agent, 'Example PBX');
    assert.deepEqual(g.endpoint_identifier_order, ['ip', 'username', 'anonymous', 'header', 'auth_username']);
    assert.equal(g.keep_alive_interval, 20);
    assert.equal(g.mwi_tps_queue_high, 1000);
    assert.equal(g.mwi_disable_initial_unsolicited, true);
    assert.deepEqual(g.default_auth_algorithms_uas, ['SHA-256', 'MD5']);
    assert.deepEqual(g.default_auth_algorithms_uac, ['MD5']);
    assert.equal(g.taskprocessor_overload_trigger, 'pjsip_only');

    const sys = sorcery.retrieve<SystemObject>('system', 'system')!;
    assert.equal(sys.compact_headers, true);
    assert.equal(sys.timer_b, 32000);
    assert.equal(sys.threadpool_max_size, 50);
    assert.equal(sys.disable_tcp_switch, true);
    assert.deepEqual(effectiveSystemTimers(sys), {
      t1: 100,
      timerB: 32000,
      warnings: ['Timer T1 setting is too low. Setting to 100'],
    });

    const udp = sorcery.retrieve<TransportObject>('transport', 'transport-udp')!;
    assert.deepEqual(udp.bind, { host: '0.0.0.0', family: 'ipv4' });
    assert.equal(transportBindPort(udp), 5060);
    assert.equal(udp.external_signaling_address, '203.0.113.5');
    assert.equal(udp.external_signaling_port, 0);
    assert.deepEqual(
      udp.local_net.map((n) => `${n.address}/${n.prefix}`),
      ['192.168.0.0/16', '10.0.0.0/8', '172.16.0.0/12'],
    );
    assert.ok(networkContains(udp.local_net[1]!, '10.20.30.40'));
    assert.ok(!networkContains(udp.local_net[1]!, '11.0.0.1'));
    assert.equal(udp.tos, 0x18 << 2);
    assert.equal(udp.cos, 3);
    const tls = sorcery.retrieve<TransportObject>('transport', 'transport-tls')!;
    assert.deepEqual(tls.bind, { host: '::', family: 'ipv6', port: 5062 });
    assert.equal(tls.method, 'tlsv1_2');
    assert.equal(tls.verify_server, true);
    assert.equal(tls.verify_client, false);
    assert.equal(tls.cert_file, '/etc/asterisk/keys/asterisk.crt');
    assert.equal(transportBindPort(sorcery.retrieve<TransportObject>('transport', 'transport-tls-default-port')!), 5061);
    assert.equal(sorcery.retrieve<TransportObject>('transport', 'transport-wss')!.protocol, 'wss');
    const flow = sorcery.retrieve<TransportObject>('transport', 'transport-flow')!;
    assert.equal(flow.protocol, 'flow');
    assert.equal(flow.bind, undefined);

    const e1000 = sorcery.retrieve<EndpointObject>('endpoint', '1000')!;
    assert.equal(e1000.context, 'from-internal');
    assert.deepEqual(e1000.allow, ['ulaw', 'alaw', 'g722']);
    assert.deepEqual(e1000.disallow, ['all']);
    assert.equal(e1000.direct_media, false);
    assert.equal(e1000.timers, 'always');
    assert.equal(e1000['100rel'], 'no');
    assert.equal(e1000.dtmf_mode, 'auto_info');
    assert.equal(e1000.tos_audio, 0x2e << 2);
    assert.equal(e1000.sub_min_expiry, 60);
    assert.equal(e1000.device_state_busy_at, 1);
    assert.deepEqual(e1000.auth, ['1000']);
    assert.deepEqual(e1000.outbound_auth, []);
    assert.equal(e1000.callerid, '"Alice Example" <1000>');
    assert.deepEqual(e1000.mailboxes, ['1000@default']);
    assert.equal(e1000.voicemail_extension, '*97');
    assert.equal(e1000.subscribe_context, 'blf');
    assert.deepEqual(e1000.identify_by, ['username', 'auth_username']);
    assert.equal(e1000.notify_early_inuse_ringing, true);
    assert.equal(e1000.from_user, '1000');
    assert.deepEqual(e1000.set_var, ['CHANNEL(language)=en']);
    assert.deepEqual(
      e1000.permit.map((n) => [n.negate, n.address, n.prefix]),
      [
        [false, '192.168.0.0', 16],
        [true, '192.168.1.5', 32],
      ],
    );
    // Defaults of options the config leaves alone.
    assert.equal(e1000.aggregate_mwi, true);
    assert.equal(e1000.mwi_subscribe_replaces_unsolicited, false);
    assert.equal(e1000.allow_unauthenticated_options, false);
    assert.equal(e1000.timers_min_se, 90);
    assert.equal(e1000.timers_sess_expires, 1800);
    assert.equal(e1000.moh_suggest, 'default');
    assert.equal(e1000.callerid_privacy, 'allowed_not_screened');
    assert.equal(e1000.sdp_session, 'Asterisk');
    assert.equal(e1000.dtls_setup, undefined);
    assert.equal(e1000.transport, '');
    assert.equal(e1000.incoming_mwi_mailbox, '');

    const e1001 = sorcery.retrieve<EndpointObject>('endpoint', '1001')!;
    assert.deepEqual(e1001.mailboxes, ['1001@default', '1002@default']);
    assert.equal(e1001.aggregate_mwi, false);
    assert.equal(e1001.mwi_from_user, 'voicemail');
    assert.equal(e1001.mwi_subscribe_replaces_unsolicited, true);
    assert.equal(e1001.incoming_mwi_mailbox, '1001@external');
    assert.equal(e1001.allow_subscribe, false, 'the section overrides its template');
    assert.deepEqual(e1001.identify_by, ['username', 'ip']);

    const trunk = sorcery.retrieve<EndpointObject>('endpoint', 'trunk')!;
    assert.deepEqual(trunk.outbound_auth, ['trunk-auth']);
    assert.equal(trunk.from_domain, 'sip.provider.example');
    assert.deepEqual(trunk.identify_by, ['ip']);
    assert.deepEqual(trunk.allow, []);

    const a1000 = sorcery.retrieve<AuthObject>('auth', '1000')!;
    assert.equal(a1000.auth_type, 'userpass');
    assert.equal(a1000.username, '1000');
    assert.equal(a1000.password, '1000secret');
    assert.equal(a1000.realm, '');
    assert.equal(a1000.nonce_lifetime, 32);
    assert.deepEqual(a1000.supported_algorithms_uas, []);
    assert.deepEqual(effectiveAuthAlgorithms(a1000.supported_algorithms_uas, g.default_auth_algorithms_uas), ['SHA-256', 'MD5']);
    assert.deepEqual(effectiveAuthAlgorithms(a1000.supported_algorithms_uac), ['MD5']);
    const a1001 = sorcery.retrieve<AuthObject>('auth', '1001')!;
    assert.equal(a1001.auth_type, 'digest');
    assert.deepEqual(a1001.password_digest, { 'SHA-256': sha, MD5: md5 }, 'hex is stored lower-case');
    assert.deepEqual(a1001.supported_algorithms_uas, ['SHA-256', 'MD5']);
    assert.deepEqual(a1001.supported_algorithms_uac, ['SHA-256']);
    assert.equal(a1001.nonce_lifetime, 60);
    assert.equal(a1001.password, '');
    const trunkAuth = sorcery.retrieve<AuthObject>('auth', 'trunk-auth')!;
    assert.equal(trunkAuth.auth_type, 'md5');
    assert.deepEqual(authPasswordDigests(trunkAuth), { MD5: trunkMd5 });

    const aor1000 = sorcery.retrieve<AorObject>('aor', '1000')!;
    assert.equal(aor1000.max_contacts, 1);
    assert.equal(aor1000.remove_existing, true);
    assert.equal(aor1000.qualify_frequency, 60);
    assert.deepEqual(aor1000.mailboxes, ['1000@default', '1000@other']);
    assert.deepEqual(aor1000.contact, ['sip:1000@192.168.1.20:5060']);
    assert.deepEqual(sorcery.retrieve<AorObject>('aor', '1001')!.mailboxes, []);
    const aorTrunk = sorcery.retrieve<AorObject>('aor', 'trunk')!;
    assert.deepEqual(aorTrunk.contact, ['sip:sip.provider.example', 'sip:backup.provider.example:5070', 'sip:[2001:db8::5]:5060']);
    assert.equal(aorTrunk.qualify_frequency, 30);
    assert.equal(aorTrunk.outbound_proxy, 'sip:proxy.provider.example;lr');
    assert.equal(aorTrunk.max_contacts, 0);

    const id = sorcery.retrieve<IdentifyObject>('identify', 'trunk')!;
    assert.equal(id.endpoint, 'trunk');
    assert.equal(id.srv_lookups, false);
    assert.deepEqual(id.match, [
      { kind: 'network', negate: false, family: 'ipv4', address: '203.0.113.0', prefix: 24 },
      { kind: 'network', negate: false, family: 'ipv4', address: '198.51.100.7', prefix: 32, port: 5060 },
      { kind: 'host', host: 'sip.provider.example' },
      { kind: 'network', negate: true, family: 'ipv4', address: '203.0.113.9', prefix: 32 },
      { kind: 'network', negate: false, family: 'ipv6', address: '2001:db8::', prefix: 32 },
    ]);
    const hdr = sorcery.retrieve<IdentifyObject>('identify', 'hdr-identify')!;
    assert.equal(hdr.match_header, 'X-Trunk: /^prov.*/');
    assert.equal(hdr.srv_lookups, true);
    const parsed = parseIdentifyHeader(hdr.match_header);
    assert.equal(parsed.name, 'X-Trunk');
    assert.ok('regex' in parsed.value && parsed.value.regex.test('provider-1'));

    assert.equal(sorcery.retrieve<DomainAliasObject>('domain_alias', 'pbx.example.com')!.domain, 'example.com');
  });

  it('rejects bad values and incomplete objects, naming file, line, section and option; the rest loads', () => {
    const text = [
      '[sub]', //                                1
      'type=endpoint', //                        2
      'allow_subscribe=maybe', //                3
      '[chan_sip_habit]', //                     4
      'type=endpoint', //                        5
      'nat=force_rport,comedia', //              6
      '[nobind]', //                             7
      'type=transport', //                       8
      'protocol=udp', //                         9
      '[badcidr]', //                            10
      'type=identify', //                        11
      'endpoint=trunk', //                       12
      'match=10.0.0.0/33', //                    13
      '[badip]', //                              14
      'type=identify', //                        15
      'endpoint=trunk', //                       16
      'match=10.0.0.300/24', //                  17
      '[noendpoint]', //                         18
      'type=identify', //                        19
      'match=192.0.2.1', //                      20
      '[nopass]', //                             21
      'type=auth', //                            22
      'username=x', //                           23
      '[md5nocred]', //                          24
      'type=auth', //                            25
      'auth_type=md5', //                        26
      'username=x', //                           27
      'password=p', //                           28
      '[shortdigest]', //                        29
      'type=auth', //                            30
      'username=x', //                           31
      'password_digest=SHA-256:abcd', //         32
      '[sha1]', //                               33
      'type=auth', //                            34
      'username=x', //                           35
      'password=p', //                           36
      'supported_algorithms_uas=SHA-1', //       37
      '[shaonly]', //                            38
      'type=auth', //                            39
      'username=x', //                           40
      'supported_algorithms_uas=SHA-256', //     41
      `password_digest=MD5:${'0'.repeat(32)}`, // 42
      '[tlsnocert]', //                          43
      'type=transport', //                       44
      'protocol=tls', //                         45
      'bind=0.0.0.0', //                         46
      '[badbind]', //                            47
      'type=transport', //                       48
      'bind=not an address!', //                 49
      '[badcontact]', //                         50
      'type=aor', //                             51
      'contact=tel:+4930123', //                 52
      '[shorttimers]', //                        53
      'type=endpoint', //                        54
      'timers_min_se=80', //                     55
      '[badqualify]', //                         56
      'type=aor', //                             57
      'qualify_frequency=90000', //              58
      '[badfromuser]', //                        59
      'type=endpoint', //                        60
      'from_user=al ice', //                     61
      '[badidentifyby]', //                      62
      'type=endpoint', //                        63
      'identify_by=username,mac', //             64
      '[g]', //                                  65
      'type=global', //                          66
      'debug=', //                               67
      '[good]', //                               68
      'type=endpoint', //                        69
      '[good]', //                               70
      'type=transport', //                       71
      'bind=127.0.0.1:5070', //                  72
      '[good]', //                               73
      'type=identify', //                        74
      'endpoint=good', //                        75
      'match=192.0.2.0/255.255.255.0', //        76
      '[good]', //                               77
      'type=auth', //                            78
      'username=good', //                        79
      'password=secret', //                      80
      '',
    ].join('\n');
    const { sorcery, logged } = load({ 'pjsip.conf': text });
    const where = (type: string) => sorcery.issues(type).map((i) => [i.file, i.line, i.section, i.option ?? null]);
    assert.deepEqual(where('endpoint'), [
      ['pjsip.conf', 3, 'sub', 'allow_subscribe'],
      ['pjsip.conf', 6, 'chan_sip_habit', 'nat'],
      ['pjsip.conf', 53, 'shorttimers', null],
      ['pjsip.conf', 61, 'badfromuser', 'from_user'],
      ['pjsip.conf', 64, 'badidentifyby', 'identify_by'],
    ]);
    assert.match(sorcery.issues('endpoint')[1]!.message, /unknown option 'nat'/);
    assert.match(sorcery.issues('endpoint')[2]!.message, /timers_min_se must be 90 or greater/);
    assert.deepEqual(where('transport'), [
      ['pjsip.conf', 7, 'nobind', null],
      ['pjsip.conf', 43, 'tlsnocert', null],
      ['pjsip.conf', 49, 'badbind', 'bind'],
    ]);
    assert.match(sorcery.issues('transport')[0]!.message, /binding not specified/);
    assert.match(sorcery.issues('transport')[1]!.message, /cert_file and priv_key_file/);
    assert.deepEqual(where('identify'), [
      ['pjsip.conf', 13, 'badcidr', 'match'],
      ['pjsip.conf', 17, 'badip', 'match'],
      ['pjsip.conf', 18, 'noendpoint', null],
    ]);
    assert.match(sorcery.issues('identify')[0]!.message, /prefix length over 32/);
    assert.deepEqual(where('auth'), [
      ['pjsip.conf', 21, 'nopass', null],
      ['pjsip.conf', 24, 'md5nocred', null],
      ['pjsip.conf', 32, 'shortdigest', 'password_digest'],
      ['pjsip.conf', 37, 'sha1', 'supported_algorithms_uas'],
      ['pjsip.conf', 38, 'shaonly', null],
    ]);
    assert.match(sorcery.issues('auth')[0]!.message, /no plain text or digest password found for algorithm MD5/);
    assert.match(sorcery.issues('auth')[4]!.message, /algorithm SHA-256 in supported_algorithms_uas/);
    assert.deepEqual(where('aor'), [
      ['pjsip.conf', 52, 'badcontact', 'contact'],
      ['pjsip.conf', 58, 'badqualify', 'qualify_frequency'],
    ]);
    assert.deepEqual(where('global'), [['pjsip.conf', 65, 'g', null]]);
    for (const t of ['endpoint', 'transport', 'identify', 'auth']) {
      assert.deepEqual(sorcery.retrieveAll(t).map((o) => o.id), ['good'], `only good ${t} loads`);
    }
    assert.ok(logged.some((l) => l.includes('pjsip.conf:13') && l.includes('[badcidr]') && l.includes('match')));
    const goodIdentify = sorcery.retrieve<IdentifyObject>('identify', 'good')!;
    assert.deepEqual(goodIdentify.match, [{ kind: 'network', negate: false, family: 'ipv4', address: '192.0.2.0', prefix: 24 }]);
  });

  it('has an all-defaults global object for configs without one', () => {
    const g = globalDefaults();
    assert.equal(g.id, 'global');
    assert.equal(g.user_agent.startsWith('Asterisk PBX'), true);
    assert.deepEqual(g.endpoint_identifier_order, ['ip', 'username', 'anonymous']);
    assert.equal(g.norefersub, true);
    assert.equal(g.contact_expiration_check_interval, 30);
    assert.equal(g.unidentified_request_count, 5);
    const again = globalDefaults();
    again.endpoint_identifier_order.push('header');
    assert.deepEqual(globalDefaults().endpoint_identifier_order, ['ip', 'username', 'anonymous'], 'defaults are copied');
  });
});
