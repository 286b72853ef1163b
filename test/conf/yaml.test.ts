/**
 * The YAML alternative (conf/yaml.ts): the documented mapping, line numbers, and errors. Files are
 * real files in a temp folder, read with readYamlSections (and through readConfig where the .conf
 * side matters).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { readConfig } from '../../conf/read-config.js';
import { readYamlSections } from '../../conf/yaml.js';
import { cleanupTrees, fullVars, issueKeys, pairs, writeTree } from './conf-fixtures.js';

function readYaml(text: string) {
  const dir = writeTree({ 'pjsip.yaml': text });
  return readYamlSections(path.join(dir, 'pjsip.yaml'), 'pjsip.yaml');
}

describe('conf YAML alternative', () => {
  after(cleanupTrees);

  it('maps section -> options with the line of every option key', () => {
    const r = readYaml(['# transports', 'transport-udp:', '  type: transport', '  protocol: udp', '', '  bind: 0.0.0.0:5060', 'general:', ''].join('\n'));
    assert.deepEqual(r.issues, []);
    assert.deepEqual(
      r.sections.map((s) => `${s.name} ${s.file}:${s.line}`),
      ['transport-udp pjsip.yaml:2', 'general pjsip.yaml:7'],
    );
    assert.deepEqual(fullVars(r.sections[0]), [
      'type|transport|pjsip.yaml:3|plain|own',
      'protocol|udp|pjsip.yaml:4|plain|own',
      'bind|0.0.0.0:5060|pjsip.yaml:6|plain|own',
    ]);
    assert.deepEqual(r.sections[1].variables, []);
  });

  it('a list of mappings gives several sections with one name, in order', () => {
    const r = readYaml(['alice:', '  - type: endpoint', '    aors: alice', '  - type: aor', '    max_contacts: 1', '  - {type: auth, username: alice}'].join('\n'));
    assert.deepEqual(
      r.sections.map((s) => `${s.name}:${s.line}:${pairs(s).join(',')}`),
      ['alice:2:type=endpoint,aors=alice', 'alice:4:type=aor,max_contacts=1', 'alice:6:type=auth,username=alice'],
    );
  });

  it('scalars: booleans become yes/no, numbers keep their text, null is empty, quotes are YAML quotes', () => {
    const r = readYaml(
      [
        's:',
        '  on: true',
        '  off: False',
        '  pin: 0042',
        '  version: 1.10',
        '  port: 5060',
        '  empty:',
        '  tilde: ~',
        "  quoted: 'true'",
        '  dq: "a: b # not a comment"',
        '  yes_word: yes',
        '  text: !!str 12',
        '  block: |',
        '    line1',
        '    line2',
      ].join('\n'),
    );
    assert.deepEqual(r.issues, []);
    assert.deepEqual(pairs(r.sections[0]), [
      'on=yes',
      'off=no',
      'pin=0042',
      'version=1.10',
      'port=5060',
      'empty=',
      'tilde=',
      'quoted=true',
      'dq=a: b # not a comment',
      'yes_word=yes',
      'text=12',
      'block=line1\nline2\n',
    ]);
  });

  it('a list value repeats the option in order, each at its own line', () => {
    const r = readYaml(['s:', '  allow: [ulaw, alaw]', '  contact:', '    - sip:a@h1', '    - sip:b@h2'].join('\n'));
    assert.deepEqual(fullVars(r.sections[0]), [
      'allow|ulaw|pjsip.yaml:2|plain|own',
      'allow|alaw|pjsip.yaml:2|plain|own',
      'contact|sip:a@h1|pjsip.yaml:4|plain|own',
      'contact|sip:b@h2|pjsip.yaml:5|plain|own',
    ]);
  });

  it('nested mappings, odd list items and duplicate keys are errors naming the option; the rest loads', () => {
    const r = readYaml(
      ['s:', '  good: 1', '  deep:', '    inner: x', '  mixed: [a, {b: c}]', '  good: 2', '  <<: {x: 1}', '  tagged: !!binary aGVsbG8=', '  after: ok'].join('\n'),
    );
    assert.deepEqual(pairs(r.sections[0]), ['good=1', 'mixed=a', 'after=ok']);
    assert.deepEqual(issueKeys(r.issues), [
      'error TST_ERR_CONFIG_SYNTAX pjsip.yaml:3',
      'error TST_ERR_CONFIG_SYNTAX pjsip.yaml:5',
      'error TST_ERR_CONFIG_SYNTAX pjsip.yaml:6',
      'error TST_ERR_CONFIG_SYNTAX pjsip.yaml:7',
      'error TST_ERR_CONFIG_SYNTAX pjsip.yaml:8',
    ]);
    assert.deepEqual(
      r.issues.map((i) => `${i.section}/${i.option}`),
      ['s/deep', 's/mixed', 's/good', 's/<<', 's/tagged'],
    );
    assert.match(r.issues[3].message, /_inherit/);
  });

  it('_template hides a section, _inherit copies templates first in the order listed', () => {
    const r = readYaml(
      [
        'basic:',
        '  _template: true',
        '  context: default',
        'codecs:',
        '  _template: yes',
        '  allow: [ulaw]',
        'plain:',
        '  p: 1',
        'phone:',
        '  secret: x',
        '  _inherit: [basic, codecs, PLAIN]',
        'single:',
        '  _inherit: basic',
      ].join('\n'),
    );
    assert.deepEqual(r.issues, []);
    assert.deepEqual(
      r.sections.map((s) => `${s.name}(${s.templates.join(',')})`),
      ['plain()', 'phone(basic,codecs,plain)', 'single(basic)'],
    );
    assert.deepEqual(fullVars(r.sections[1]), [
      'context|default|pjsip.yaml:3|plain|inherited',
      'allow|ulaw|pjsip.yaml:6|plain|inherited',
      'p|1|pjsip.yaml:8|plain|inherited',
      'secret|x|pjsip.yaml:10|plain|own',
    ]);
  });

  it('an unknown _inherit name is an error at its line; the section is kept', () => {
    const r = readYaml(['s:', '  _inherit: [nosuch, later]', '  a: 1', 'later:', '  _template: true', '  b: 2'].join('\n'));
    assert.deepEqual(issueKeys(r.issues), ['error TST_ERR_CONFIG_TEMPLATE pjsip.yaml:2', 'error TST_ERR_CONFIG_TEMPLATE pjsip.yaml:2']);
    assert.equal(r.issues[0].option, '_inherit');
    assert.deepEqual(r.sections.map((s) => pairs(s).join(',')), ['a=1']);
  });

  it('anchors and aliases reuse values', () => {
    const r = readYaml(['a:', '  allow: &codecs [ulaw, alaw]', 'b:', '  allow: *codecs'].join('\n'));
    assert.deepEqual(r.issues, []);
    assert.deepEqual(pairs(r.sections[1]), ['allow=ulaw', 'allow=alaw']);
  });

  it('a syntax error is one issue at the line js-yaml reports, and nothing is used', () => {
    const r = readYaml(['good:', '  a: 1', 'bad:', '  b: [unclosed', '  c: 2', 'x'].join('\n'));
    assert.deepEqual(r.sections, []);
    assert.equal(r.issues.length, 1);
    assert.equal(r.issues[0].code, 'TST_ERR_CONFIG_SYNTAX');
    assert.equal(r.issues[0].file, 'pjsip.yaml');
    assert.ok(r.issues[0].line >= 4 && r.issues[0].line <= 6, `line ${r.issues[0].line}`);
    assert.match(r.issues[0].message, /YAML syntax error/);
  });

  it('shape errors: top level not a mapping, a section that is a plain value, a second document', () => {
    assert.deepEqual(issueKeys(readYaml('- a\n- b\n').issues), ['error TST_ERR_CONFIG_SYNTAX pjsip.yaml:1']);
    const r = readYaml(['s: just text', 'dup:', '  a: 1', 'dup:', '  a: 2', 'list:', '  - 1', '---', 'other: {}'].join('\n'));
    assert.deepEqual(issueKeys(r.issues), [
      'error TST_ERR_CONFIG_SYNTAX pjsip.yaml:1',
      'error TST_ERR_CONFIG_SYNTAX pjsip.yaml:4',
      'error TST_ERR_CONFIG_SYNTAX pjsip.yaml:7',
      'error TST_ERR_CONFIG_SYNTAX pjsip.yaml:9',
    ]);
    assert.deepEqual(r.sections.map((s) => `${s.name}:${pairs(s).join(',')}`), ['dup:a=1']);
  });

  it('an empty file and a missing file give nothing and no issue', () => {
    assert.deepEqual(readYaml(''), { sections: [], issues: [] });
    assert.deepEqual(readYaml('# only a comment\n'), { sections: [], issues: [] });
    assert.deepEqual(readYamlSections('/nonexistent/tst/pjsip.yaml', 'pjsip.yaml'), { sections: [], issues: [] });
  });

  it('through readConfig: inherits .conf templates and keeps file names apart', () => {
    const dir = writeTree({
      'pjsip.conf': '[endpoint-basic](!)\ncontext = from-phones\n#include "more.conf"\n',
      'more.conf': '[codecs](!)\nallow = g722\n',
      'pjsip.yaml': 'alice:\n  _inherit: [endpoint-basic, codecs]\n  type: endpoint\n',
    });
    const r = readConfig(dir, 'pjsip.conf');
    assert.deepEqual(r.issues, []);
    assert.deepEqual(fullVars(r.sections[0]), [
      'context|from-phones|pjsip.conf:2|plain|inherited',
      'allow|g722|more.conf:2|plain|inherited',
      'type|endpoint|pjsip.yaml:3|plain|own',
    ]);
  });
});
