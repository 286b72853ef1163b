import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfig } from '../../conf/read-config.js';
import { normalizeModuleName, parseModulesConf, planFromModulesConf } from '../../loader/modules-conf.js';

function conf(text: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tst-modconf-'));
  writeFileSync(path.join(dir, 'modules.conf'), text);
  return parseModulesConf(readConfig(dir, 'modules.conf'));
}

describe('loader: modules.conf', () => {
  it('matches names case-insensitively with or without .so (main/loader.c)', () => {
    assert.equal(normalizeModuleName('Res_PJSIP.so'), 'res_pjsip');
    assert.equal(normalizeModuleName(' res_pjsip_pubsub '), 'res_pjsip_pubsub');
    assert.equal(normalizeModuleName('./mods/My.mjs'), './mods/My.mjs');
  });

  it('reads every directive and keeps autoload', () => {
    const c = conf('[modules]\nautoload=no\nload => res_a.so\nnoload => res_b\npreload => res_c\nrequire => RES_D.so\npreload-require => res_e\n');
    assert.equal(c.autoload, false);
    assert.deepEqual(
      c.entries.map((e) => [e.directive, e.name]),
      [['load', 'res_a'], ['noload', 'res_b'], ['preload', 'res_c'], ['require', 'res_d'], ['preload-require', 'res_e']],
    );
    assert.equal(c.issues.length, 0);
  });

  it('reports an unknown key with file and line, and keeps the rest', () => {
    const c = conf('[modules]\nautoload=no\nloda => res_a\nload => res_b\n');
    assert.equal(c.issues.length, 1);
    assert.equal(c.issues[0]!.line, 3);
    assert.equal(c.issues[0]!.file, 'modules.conf');
    assert.equal(c.issues[0]!.option, 'loda');
    assert.deepEqual(c.entries.map((e) => e.name), ['res_b']);
  });

  it('autoloads the catalogue minus noload; noload wins over load; require+noload is an error', () => {
    const c = conf('[modules]\nautoload=yes\nnoload => b\nload => b\nrequire => c\nnoload => c\nload => ext.mjs\n');
    const { plan, issues } = planFromModulesConf(c, ['a', 'b', 'c']);
    assert.deepEqual(plan.map((p) => p.name).sort(), ['a', 'ext.mjs']);
    assert.equal(issues.length, 1);
    assert.match(issues[0]!.message, /both required and noload/);
  });

  it('autoloads everything when modules.conf is absent, as Asterisk does', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tst-modconf-'));
    const c = parseModulesConf(readConfig(dir, 'modules.conf'));
    assert.equal(c.found, false);
    assert.equal(c.autoload, true);
  });
});
