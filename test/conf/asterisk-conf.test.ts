/**
 * asterisk.conf and entity IDs. Directory keys follow load_asterisk_conf() (main/options.c);
 * EID parsing follows ast_str_to_eid() and the default EID ast_set_default_eid() (main/utils.c).
 */
import assert from 'node:assert/strict';
import type os from 'node:os';
import path from 'node:path';
import { readAsteriskConf, stateFolder } from '../../conf/asterisk-conf.js';
import { defaultEid, formatEid, parseEid, randomEid, type InterfaceList } from '../../conf/eid.js';
import { cleanupTrees, issueKeys, writeTree } from './conf-fixtures.js';

const EID_SHAPE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function nic(mac: string, internal = false): os.NetworkInterfaceInfo {
  return { address: '10.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac, internal, cidr: '10.0.0.1/8' };
}

const ifaces: InterfaceList = {
  lo: [nic('00:00:00:00:00:00', true)],
  dummy0: [nic('00:00:00:00:00:00')],
  bcast: [nic('ff:ff:ff:ff:ff:ff')],
  eth1: [nic('52:54:00:AB:cd:01')],
  eth2: [nic('52:54:00:00:00:02')],
};

describe('conf asterisk.conf', () => {
  after(cleanupTrees);

  it('without asterisk.conf every directory lives in <config>-state', () => {
    const root = writeTree({ 'conf/modules.conf': '' });
    const dir = path.join(root, 'conf');
    const a = readAsteriskConf(dir, { networkInterfaces: () => ifaces });
    const state = path.join(root, 'conf-state');
    assert.equal(stateFolder(dir), state);
    assert.equal(a.found, false);
    assert.deepEqual(a.directories, {
      astetcdir: dir,
      astdbdir: path.join(state, 'db'),
      astrundir: path.join(state, 'run'),
      astvarlibdir: path.join(state, 'lib'),
      astspooldir: path.join(state, 'spool'),
      astlogdir: path.join(state, 'log'),
      astdatadir: path.join(state, 'lib'),
      astmoddir: '',
    });
    assert.deepEqual(a.options, new Map());
    assert.deepEqual(a.issues, []);
    // load_asterisk_conf(): no asterisk.conf, no entityid: ast_set_default_eid()'s MAC.
    assert.equal(a.entityId, '52:54:00:ab:cd:01');
    assert.equal(a.entityIdSource, 'mac');
  });

  it('[directories] with => and =, relative and absolute paths, unknown keys', () => {
    const root = writeTree({
      'conf/asterisk.conf': [
        '[directories](!)',
        'astetcdir => /etc/tsterisk',
        'astvarlibdir = lib',
        'ASTLOGDIR => ../logs',
        'astmoddir => /opt/mods',
        'astagidir => /ignored/agi',
        'astbogusdir = /x',
        'astrundir =',
        '[directories](+TEMPLATES=include)',
      ].join('\n'),
    });
    const dir = path.join(root, 'conf');
    const a = readAsteriskConf(dir, { networkInterfaces: () => ifaces });
    // A template named [directories] is not the [directories] section: nothing applies.
    assert.equal(a.directories.astetcdir, dir);

    const root2 = writeTree({
      'conf/asterisk.conf': [
        '[directories]',
        'astetcdir => /etc/tsterisk',
        'astvarlibdir = lib',
        'ASTLOGDIR => ../logs',
        'astmoddir => /opt/mods',
        'astagidir => /ignored/agi',
        'astbogusdir = /x',
        'astrundir =',
      ].join('\n'),
    });
    const dir2 = path.join(root2, 'conf');
    const b = readAsteriskConf(dir2, { networkInterfaces: () => ifaces });
    const state = path.join(root2, 'conf-state');
    assert.equal(b.found, true);
    assert.deepEqual(b.directories, {
      astetcdir: '/etc/tsterisk',
      // options.c: astvarlibdir also moves the database unless astdbdir is given.
      astdbdir: path.join(dir2, 'lib'),
      astrundir: path.join(state, 'run'),
      astvarlibdir: path.join(dir2, 'lib'),
      astspooldir: path.join(state, 'spool'),
      astlogdir: path.join(root2, 'logs'),
      astdatadir: path.join(state, 'lib'),
      astmoddir: '/opt/mods',
    });
    assert.deepEqual(issueKeys(b.issues), ['warning TST_ERR_CONFIG_OPTION asterisk.conf:7', 'warning TST_ERR_CONFIG_OPTION asterisk.conf:8']);
    assert.equal(b.issues[0].option, 'astbogusdir');
  });

  it('astdbdir wins over astvarlibdir for the database', () => {
    const root = writeTree({ 'conf/asterisk.conf': '[directories]\nastdbdir => /data/db\nastvarlibdir => /data/lib\n' });
    const a = readAsteriskConf(path.join(root, 'conf'), { networkInterfaces: () => ifaces });
    assert.equal(a.directories.astdbdir, '/data/db');
    assert.equal(a.directories.astvarlibdir, '/data/lib');
  });

  it('[options] kept lower-cased, last wins; a good entityid is used and normalised', () => {
    const root = writeTree({ 'conf/asterisk.conf': '[options]\nverbose = 3\nSystemName = node1\nentityid = 00:11:22:33:44:55\nEntityID = 0A-b-22-33-44-5F\n' });
    const a = readAsteriskConf(path.join(root, 'conf'), { networkInterfaces: () => ifaces });
    assert.deepEqual([...a.options], [
      ['verbose', '3'],
      ['systemname', 'node1'],
      ['entityid', '0A-b-22-33-44-5F'],
    ]);
    assert.equal(a.entityId, '0a:0b:22:33:44:5f');
    assert.equal(a.entityIdSource, 'config');
    assert.deepEqual(a.issues, []);
  });

  it('a bad entityid is an error at its line and the default EID is used', () => {
    const root = writeTree({ 'conf/asterisk.conf': '[options]\nentityid = 00:11:22:33:44\n' });
    const a = readAsteriskConf(path.join(root, 'conf'), { networkInterfaces: () => ifaces });
    assert.deepEqual(issueKeys(a.issues), ['error TST_ERR_CONFIG_OPTION asterisk.conf:2']);
    assert.equal(a.issues[0].option, 'entityid');
    assert.equal(a.entityId, '52:54:00:ab:cd:01');
    assert.equal(a.entityIdSource, 'mac');
  });

  it('no usable interface: a random locally administered EID and a warning', () => {
    const root = writeTree({ 'conf/modules.conf': '' });
    const a = readAsteriskConf(path.join(root, 'conf'), { networkInterfaces: () => ({ lo: [nic('00:00:00:00:00:00', true)] }) });
    assert.equal(a.entityIdSource, 'random');
    assert.match(a.entityId, EID_SHAPE);
    assert.equal(parseInt(a.entityId.slice(0, 2), 16) & 0x03, 0x02);
    assert.deepEqual(issueKeys(a.issues), ['warning TST_ERR_CONFIG_OPTION asterisk.conf:0']);
  });

  it('the real machine gives a well-formed default EID', () => {
    const root = writeTree({ 'conf/modules.conf': '' });
    const a = readAsteriskConf(path.join(root, 'conf'));
    assert.match(a.entityId, EID_SHAPE);
    assert.ok(a.entityIdSource === 'mac' || a.entityIdSource === 'random');
  });
});

describe('conf eid', () => {
  it('parseEid: 6 groups of 1-2 hex digits with : or - (not mixed), normalised', () => {
    assert.equal(parseEid('00:11:22:33:44:55'), '00:11:22:33:44:55');
    assert.equal(parseEid(' AA:BB:CC:DD:EE:FF '), 'aa:bb:cc:dd:ee:ff');
    assert.equal(parseEid('0:1:2:3:4:5'), '00:01:02:03:04:05');
    assert.equal(parseEid('00-11-22-33-44-55'), '00:11:22:33:44:55');
    for (const bad of ['', '00:11:22:33:44', '00:11:22:33:44:55:66', '00-11:22-33:44-55', '000:11:22:33:44:55', 'gg:11:22:33:44:55', '0x1:2:3:4:5:6']) {
      assert.equal(parseEid(bad), undefined, bad);
    }
  });

  it('formatEid and randomEid', () => {
    assert.equal(formatEid([0, 1, 0xab, 0xcd, 0xef, 0xff]), '00:01:ab:cd:ef:ff');
    assert.throws(() => formatEid([1, 2, 3]), RangeError);
    const seen = new Set<string>();
    for (let k = 0; k < 20; k++) {
      const e = randomEid();
      assert.match(e, EID_SHAPE);
      // Locally administered (bit 1 set), unicast (bit 0 clear).
      assert.equal(parseInt(e.slice(0, 2), 16) & 0x03, 0x02);
      seen.add(e);
    }
    assert.ok(seen.size > 1);
  });

  it('defaultEid: first interface whose MAC is neither all zeros nor all ones', () => {
    assert.deepEqual(defaultEid(ifaces), { eid: '52:54:00:ab:cd:01', source: 'mac', interfaceName: 'eth1' });
    assert.equal(defaultEid({}).source, 'random');
  });
});
