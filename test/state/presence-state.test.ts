import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isTstError } from '../../core/errors.js';
import { LogHub } from '../../core/log.js';
import { openStore } from '../../core/store/lmdb-store.js';
import type { Store } from '../../core/store/types.js';
import {
  CUSTOM_PRESENCE_FAMILY,
  PresenceState,
  PresenceStateEngine,
  formatCustomPresenceValue,
  parsePresenceChangeArgument,
  parsePresenceState,
  presenceStateToString,
  type PresenceChange,
} from '../../core/state/presence-state.js';

const log = new LogHub().logger('test');
const P = PresenceState;

describe('presence states', () => {
  it('has Asterisk values and names, parsed case-insensitively', () => {
    assert.equal(P.NOT_SET, 0);
    assert.equal(P.DND, 6);
    assert.equal(P.INVALID, 7);
    const names = ['not_set', 'unavailable', 'available', 'away', 'xa', 'chat', 'dnd'];
    names.forEach((n, i) => {
      assert.equal(presenceStateToString(i), n);
      assert.equal(parsePresenceState(n), i);
      assert.equal(parsePresenceState(n.toUpperCase()), i);
    });
    assert.equal(presenceStateToString(P.INVALID), '');
    assert.equal(parsePresenceState('bored'), undefined);
  });

  describe('parsePresenceChangeArgument (func_presencestate parse_data)', () => {
    const valid: Array<[string, PresenceState, string, string, string]> = [
      ['away', P.AWAY, '', '', ''],
      ['not_set', P.NOT_SET, '', '', ''],
      ['AWAY,lunch,back at 2', P.AWAY, 'lunch', 'back at 2', ''],
      ['away,down the hall', P.AWAY, 'down the hall', '', ''],
      ['away,,Quarterly financial meeting', P.AWAY, '', 'Quarterly financial meeting', ''],
      ['away,,,e', P.AWAY, '', '', 'e'],
      ['away,,,,e', P.AWAY, '', '', ''],
    ];
    for (const [arg, state, subtype, message, options] of valid) {
      it(`parses '${arg}'`, () => {
        assert.deepEqual(parsePresenceChangeArgument(arg), { state, subtype, message, options });
      });
    }
    it('decodes base64 values with option e', () => {
      const b64 = (s: string) => Buffer.from(s).toString('base64');
      assert.deepEqual(parsePresenceChangeArgument(`xa,${b64('on, vacation')},${b64('back monday')},e`), {
        state: P.XA,
        subtype: 'on, vacation',
        message: 'back monday',
        options: 'e',
      });
    });
    it('a comma in the message is not possible without option e', () => {
      assert.throws(() => parsePresenceChangeArgument('away,lunch,back at 2, sorry'), (e: unknown) => isTstError(e, 'TST_ERR_STATE'));
    });
    for (const bad of ['', 'bored', 'away,,,i']) {
      it(`refuses '${bad}'`, () => {
        assert.throws(() => parsePresenceChangeArgument(bad), (e: unknown) => isTstError(e, 'TST_ERR_STATE'));
      });
    }
  });

  it('formatCustomPresenceValue round-trips, escaping commas with option e', () => {
    for (const info of [
      { state: P.AWAY, subtype: 'lunch', message: 'back at 2' },
      { state: P.DND, subtype: '', message: '' },
      { state: P.CHAT, subtype: 'a,b', message: 'x, y, z' },
    ]) {
      const v = formatCustomPresenceValue(info);
      const p = parsePresenceChangeArgument(v);
      assert.deepEqual({ state: p.state, subtype: p.subtype, message: p.message }, info);
    }
    assert.equal(formatCustomPresenceValue({ state: P.AWAY, subtype: 'lunch', message: 'back' }), 'away,lunch,back');
  });
});

describe('PresenceStateEngine', () => {
  let dir: string;
  let store: Store;
  const stores: Store[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tst-'));
    store = openStore(dir);
    stores.push(store);
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('CustomPresence persists as func_presencestate stores it and survives a reopen', async () => {
    const e = new PresenceStateEngine({ store, log });
    await e.set('CustomPresence:bob', P.AWAY, 'lunch', 'back at 2');
    assert.equal(store.get(CUSTOM_PRESENCE_FAMILY, 'bob'), 'away,lunch,back at 2');
    assert.deepEqual(e.get('CustomPresence:bob'), { state: P.AWAY, subtype: 'lunch', message: 'back at 2' });
    await store.close();

    store = openStore(dir);
    stores.push(store);
    const fresh = new PresenceStateEngine({ store, log });
    assert.deepEqual(fresh.get('custompresence:bob'), { state: P.AWAY, subtype: 'lunch', message: 'back at 2' });
    assert.deepEqual(fresh.list(), [{ provider: 'CustomPresence:bob', state: P.AWAY, subtype: 'lunch', message: 'back at 2' }]);
    assert.deepEqual(fresh.listCustom(), [{ provider: 'CustomPresence:bob', state: P.AWAY, subtype: 'lunch', message: 'back at 2', encoded: false }]);
  });

  it('answers from the CustomPresence store entry even before it was published', async () => {
    await store.putDurable(CUSTOM_PRESENCE_FAMILY, 'late', 'dnd,,busy busy');
    const e = new PresenceStateEngine({ store, log });
    assert.deepEqual(e.get('CustomPresence:late'), { state: P.DND, subtype: '', message: 'busy busy' });
  });

  it('unknown providers and names are NOT_SET; registered providers answer; duplicates throw', () => {
    const e = new PresenceStateEngine({ store, log });
    assert.deepEqual(e.get('CustomPresence:nobody'), { state: P.NOT_SET, subtype: '', message: '' });
    assert.deepEqual(e.get('XMPP:alice'), { state: P.NOT_SET, subtype: '', message: '' });
    const off = e.registerProvider('XMPP', (name) => (name === 'alice' ? { state: P.CHAT, subtype: '', message: 'hi' } : undefined));
    assert.deepEqual(e.get('xmpp:alice'), { state: P.CHAT, subtype: '', message: 'hi' });
    assert.throws(() => e.registerProvider('xmpp', () => undefined), (err: unknown) => isTstError(err, 'TST_ERR_DUPLICATE_REGISTRATION'));
    off();
    assert.equal(e.get('XMPP:alice').state, P.NOT_SET);
  });

  it('notifies every set with the previous value; other providers are not persisted', async () => {
    const e = new PresenceStateEngine({ store, log });
    const seen: PresenceChange[] = [];
    e.onChange((ev) => seen.push(ev));
    await e.set('XMPP:alice', P.AVAILABLE);
    await e.set('XMPP:alice', P.AWAY, 'meeting');
    assert.equal(seen.length, 2);
    assert.deepEqual(seen[1], {
      provider: 'XMPP:alice',
      state: P.AWAY,
      subtype: 'meeting',
      message: '',
      previous: { state: P.AVAILABLE, subtype: '', message: '' },
    });
    assert.deepEqual(store.list(), []);
  });

  it('refuses a provider without a label and INVALID states', () => {
    const e = new PresenceStateEngine({ store, log });
    assert.throws(() => e.set('alice', P.AWAY), (err: unknown) => isTstError(err, 'TST_ERR_STATE'));
    assert.throws(() => e.set('CustomPresence:', P.AWAY), (err: unknown) => isTstError(err, 'TST_ERR_STATE'));
    assert.throws(() => e.set('CustomPresence:a', P.INVALID), (err: unknown) => isTstError(err, 'TST_ERR_STATE'));
  });

  it('stores values with commas base64-encoded and gives them back decoded', async () => {
    const e = new PresenceStateEngine({ store, log });
    await e.set('CustomPresence:carol', P.XA, 'away, far', 'back, later');
    assert.match(store.get(CUSTOM_PRESENCE_FAMILY, 'carol')!, /^xa,[^,]*,[^,]*,e$/);
    const fresh = new PresenceStateEngine({ store, log });
    assert.deepEqual(fresh.get('CustomPresence:carol'), { state: P.XA, subtype: 'away, far', message: 'back, later' });
  });
});
