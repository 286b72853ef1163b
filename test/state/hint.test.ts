import assert from 'node:assert/strict';
import type { ConfigSection } from '../../conf/types.js';
import { hintsFromExtensionsConf, parseHint } from '../../core/state/hint.js';

/** Builds a ConfigSection by hand: each line `name => value` or `name = value`, numbered from `line`. */
function section(name: string, line: number, body: string[], file = 'extensions.conf'): ConfigSection {
  return {
    name,
    file,
    line,
    templates: [],
    variables: body.map((text, i) => {
      const m = /^\s*([^=]+?)\s*(=>|=)\s*(.*)$/.exec(text);
      if (!m) throw new Error(`bad test line ${text}`);
      return { name: m[1]!, value: m[3]!, file, line: line + 1 + i, object: m[2] === '=>', inherited: false };
    }),
  };
}

describe('parseHint', () => {
  it('splits devices on & before the first comma and presence after it', () => {
    assert.deepEqual(parseHint('PJSIP/alice&Custom:alice,CustomPresence:alice'), {
      app: 'PJSIP/alice&Custom:alice,CustomPresence:alice',
      devices: ['PJSIP/alice', 'Custom:alice'],
      presence: ['CustomPresence:alice'],
    });
    assert.deepEqual(parseHint('PJSIP/alice'), { app: 'PJSIP/alice', devices: ['PJSIP/alice'], presence: [] });
    assert.deepEqual(parseHint(',CustomPresence:lamp1'), { app: ',CustomPresence:lamp1', devices: [], presence: ['CustomPresence:lamp1'] });
    assert.deepEqual(parseHint('PJSIP/a & PJSIP/b,CustomPresence:x&CustomPresence:y').devices, ['PJSIP/a', 'PJSIP/b']);
    assert.deepEqual(parseHint('PJSIP/a&&PJSIP/b').devices, ['PJSIP/a', 'PJSIP/b']);
  });

  it('takes a display name from (...) after the hint text', () => {
    assert.deepEqual(parseHint('PJSIP/alice(Alice Smith)'), {
      app: 'PJSIP/alice',
      devices: ['PJSIP/alice'],
      presence: [],
      displayName: 'Alice Smith',
    });
    const withPresence = parseHint('PJSIP/alice,CustomPresence:alice(Alice (desk))');
    assert.equal(withPresence.displayName, 'Alice (desk)');
    assert.deepEqual(withPresence.presence, ['CustomPresence:alice']);
    assert.equal(parseHint('PJSIP/${EXTEN}(Sales)').displayName, 'Sales');
    assert.deepEqual(parseHint('DAHDI/g0/${GLOBAL(var)}'), { app: 'DAHDI/g0/${GLOBAL(var)}', devices: ['DAHDI/g0/${GLOBAL(var)}'], presence: [] });
    const unclosed = parseHint('PJSIP/bob(Bob');
    assert.equal(unclosed.displayName, 'Bob');
    assert.equal(unclosed.unclosedName, true);
  });
});

describe('hintsFromExtensionsConf', () => {
  it('reads hints, same => lines, autohints and globals; skips [general]/[globals]', () => {
    const r = hintsFromExtensionsConf([
      section('general', 1, ['static = yes', 'writeprotect = no']),
      section('globals', 4, ['TRUNK = PJSIP/trunk']),
      section('users', 10, [
        'autohints = yes',
        'exten => 1000,hint,PJSIP/alice&Custom:alice,CustomPresence:alice(Alice)',
        'exten => 1000,1,Dial(PJSIP/alice)',
        'same => n,Voicemail(1000)',
        'same => n(done),Hangup()',
        'exten = 1001,hint,${TRUNK}&PJSIP/${EXTEN}',
        'exten => _2XX,hint,PJSIP/${EXTEN}',
        'include => other',
      ]),
    ]);
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.autohintContexts, ['users']);
    assert.deepEqual(r.hints, [
      { context: 'users', exten: '1000', app: 'PJSIP/alice&Custom:alice,CustomPresence:alice', displayName: 'Alice', file: 'extensions.conf', line: 12 },
      { context: 'users', exten: '1001', app: 'PJSIP/trunk&PJSIP/1001', file: 'extensions.conf', line: 16 },
      { context: 'users', exten: '_2XX', app: 'PJSIP/${EXTEN}', file: 'extensions.conf', line: 17 },
    ]);
  });

  it('reports bad lines with file and line and still loads the rest', () => {
    const r = hintsFromExtensionsConf([
      section('users', 1, [
        'same => n,NoOp()', // no extension yet
        'exten => 102,n,NoOp()', // 'next' on the first entry of the context
        'exten => 100,hint(lbl,PJSIP/a', // label without ')'
        'exten => _1[23,hint,PJSIP/x', // unclosed set: pbx_strsep eats the commas, so no priority
        'exten => 101,hint,PJSIP/bob',
        'exten => 101,hint,PJSIP/carol', // duplicate hint
        'exten => 103,bogus,NoOp()', // unknown label
        'exten => 104,hint,justaname',
        'frobnicate => yes',
        'exten => 105,hint,PJSIP/dave',
      ], 'ext/users.conf'),
    ]);
    assert.deepEqual(
      r.hints.map((h) => `${h.exten}:${h.app}`),
      ['101:PJSIP/bob', '104:justaname', '105:PJSIP/dave'],
    );
    const got = r.issues.map((i) => `${i.file}:${i.line} ${i.severity} ${i.code} ${i.message}`);
    assert.equal(got.length, 8, got.join('\n'));
    assert.match(got[0]!, /^ext\/users\.conf:2 error TST_ERR_CONFIG_SYNTAX No previous pattern/);
    assert.match(got[1]!, /^ext\/users\.conf:3 error TST_ERR_CONFIG_SYNTAX Can't use 'next' priority on the first entry/);
    assert.match(got[2]!, /^ext\/users\.conf:4 error TST_ERR_CONFIG_SYNTAX Label missing trailing '\)'/);
    assert.match(got[3]!, /^ext\/users\.conf:5 error TST_ERR_CONFIG_SYNTAX Invalid priority\/label ''/);
    assert.match(got[4]!, /^ext\/users\.conf:7 error TST_ERR_CONFIG_OPTION .*already exists \(ext\/users\.conf:6\)/);
    assert.match(got[5]!, /^ext\/users\.conf:8 error TST_ERR_CONFIG_SYNTAX Invalid priority\/label 'bogus'/);
    assert.match(got[6]!, /^ext\/users\.conf:9 warning TST_ERR_CONFIG_OPTION .*no technology or provider prefix/);
    assert.match(got[7]!, /^ext\/users\.conf:10 warning TST_ERR_CONFIG_OPTION Unknown directive: frobnicate/);
    assert.ok(r.issues.every((i) => i.section === 'users'));
  });

  it('resolves label priorities and treats autohints=no as off', () => {
    const r = hintsFromExtensionsConf([
      section('a', 1, ['autohints = yes', 'exten => 100,1(start),NoOp()', 'exten => 100,start+1,NoOp()', 'autohints = no']),
    ]);
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.autohintContexts, []);
  });
});
