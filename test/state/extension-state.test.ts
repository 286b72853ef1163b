import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConfigSection } from '../../conf/types.js';
import { LogHub } from '../../core/log.js';
import { openStore } from '../../core/store/lmdb-store.js';
import type { Store } from '../../core/store/types.js';
import { DeviceState, DeviceStateEngine } from '../../core/state/device-state.js';
import {
  ExtensionState,
  ExtensionStateEngine,
  deviceToExtensionState,
  extensionStateToString,
  type ExtensionStateChange,
} from '../../core/state/extension-state.js';
import type { HintDef } from '../../core/state/hint.js';
import { PresenceState, PresenceStateEngine } from '../../core/state/presence-state.js';

const log = new LogHub().logger('test');
const D = DeviceState;
const E = ExtensionState;

describe('device -> extension state', () => {
  it('maps every device state as ast_devstate_to_extenstate', () => {
    const table: Array<[DeviceState, number]> = [
      [D.ONHOLD, 16],
      [D.BUSY, 2],
      [D.UNKNOWN, 0],
      [D.UNAVAILABLE, 4],
      [D.INVALID, 4],
      [D.RINGINUSE, 9],
      [D.RINGING, 8],
      [D.INUSE, 1],
      [D.NOT_INUSE, 0],
    ];
    for (const [dev, ext] of table) assert.equal(deviceToExtensionState(dev), ext, D[dev]);
  });

  it('names extension states as ast_extension_state2str', () => {
    const names: Array<[number, string]> = [
      [0, 'Idle'],
      [1, 'InUse'],
      [2, 'Busy'],
      [4, 'Unavailable'],
      [8, 'Ringing'],
      [9, 'InUse&Ringing'],
      [16, 'Hold'],
      [17, 'InUse&Hold'],
      [E.REMOVED, 'Unknown'],
      [E.DEACTIVATED, 'Unknown'],
      [3, 'Unknown'],
    ];
    for (const [s, n] of names) assert.equal(extensionStateToString(s), n);
    assert.equal(E.REMOVED, -2);
    assert.equal(E.DEACTIVATED, -1);
  });
});

describe('ExtensionStateEngine', () => {
  let dir: string;
  let store: Store;
  let devices: DeviceStateEngine;
  let presence: PresenceStateEngine;
  let ext: ExtensionStateEngine;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tst-'));
    store = openStore(dir);
    devices = new DeviceStateEngine({ store, eid: 'local', log });
    presence = new PresenceStateEngine({ store, log });
    ext = new ExtensionStateEngine({ devices, presence, log });
  });
  afterEach(async () => {
    ext.dispose();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const hint = (exten: string, app: string, context = 'users', displayName?: string): HintDef =>
    displayName === undefined ? { context, exten, app } : { context, exten, app, displayName };
  const watch = (context: string, exten: string) => {
    const seen: ExtensionStateChange[] = [];
    const w = ext.addWatcher(context, exten, (c) => seen.push(c));
    assert.ok(w, `no hint for ${exten}@${context}`);
    return { seen, w };
  };

  it('a watcher gets the argument it was added with (one function can serve many watchers)', () => {
    ext.applyHints([hint('1000', 'PJSIP/alice')]);
    const got: Array<[string, number]> = [];
    const cb = (c: ExtensionStateChange, who: string) => got.push([who, c.state]);
    const a = ext.addWatcher('users', '1000', cb, {}, 'a');
    const b = ext.addWatcher('users', '1000', cb, {}, 'b');
    devices.setState('PJSIP/alice', D.INUSE);
    assert.deepEqual(got, [['a', E.INUSE], ['b', E.INUSE]]);
    a!.dispose();
    devices.setState('PJSIP/alice', D.NOT_INUSE);
    assert.deepEqual(got.slice(2), [['b', E.NOT_INUSE]]);
    b!.dispose();
  });

  it('aggregates a hint from its devices; no devices is Unavailable', () => {
    devices.setState('PJSIP/alice', D.INUSE);
    devices.setState('PJSIP/bob', D.RINGING);
    ext.applyHints([hint('1000', 'PJSIP/alice&PJSIP/bob'), hint('1001', ',CustomPresence:x'), hint('1002', 'PJSIP/nobody')]);
    const s = ext.getState('users', '1000')!;
    assert.equal(s.state, E.INUSE | E.RINGING);
    assert.deepEqual(s.devices, [
      { device: 'PJSIP/alice', state: D.INUSE },
      { device: 'PJSIP/bob', state: D.RINGING },
    ]);
    assert.equal(ext.getState('users', '1001')!.state, E.UNAVAILABLE);
    assert.equal(ext.getState('users', '1002')!.state, E.UNAVAILABLE, 'unknown technology -> INVALID -> Unavailable');
    assert.equal(ext.getState('users', '9999'), undefined);
    assert.equal(ext.getState('nowhere', '1000'), undefined);
    assert.equal(ext.addWatcher('users', '9999', () => undefined), undefined);
  });

  it('notifies on change, not on no change, and on every ringing update', () => {
    ext.applyHints([hint('1000', 'PJSIP/alice&PJSIP/bob')]);
    devices.setState('PJSIP/alice', D.NOT_INUSE);
    devices.setState('PJSIP/bob', D.NOT_INUSE);
    const { seen } = watch('users', '1000');
    devices.setState('PJSIP/alice', D.NOT_INUSE); // no change at all
    devices.setState('PJSIP/bob', D.UNAVAILABLE); // aggregate still Idle
    assert.equal(seen.length, 0);
    devices.setState('PJSIP/alice', D.RINGING);
    devices.setState('PJSIP/alice', D.RINGING); // a second caller: notified again
    devices.setState('PJSIP/bob', D.NOT_INUSE); // hint still Ringing: notified again
    devices.setState('PJSIP/alice', D.INUSE);
    assert.deepEqual(
      seen.map((c) => [c.state, c.previousState, c.reason, c.causingDevice?.device]),
      [
        [E.RINGING, E.NOT_INUSE, 'device', 'PJSIP/alice'],
        [E.RINGING, E.RINGING, 'device', 'PJSIP/alice'],
        [E.RINGING, E.RINGING, 'device', 'PJSIP/bob'],
        [E.INUSE, E.RINGING, 'device', 'PJSIP/alice'],
      ],
    );
    assert.equal(seen[0]!.context, 'users');
    assert.equal(seen[0]!.exten, '1000');
  });

  it('matches devices case-insensitively on the technology only', () => {
    ext.applyHints([hint('1000', 'PJSIP/alice')]);
    const { seen } = watch('users', '1000');
    devices.setState('pjsip/alice', D.BUSY);
    devices.setState('PJSIP/Alice', D.INUSE); // another device
    assert.deepEqual(seen.map((c) => c.state), [E.BUSY]);
  });

  it('notifies presence changes of the hint presence provider', async () => {
    ext.applyHints([hint('1000', 'PJSIP/alice,CustomPresence:alice', 'users', 'Alice')]);
    const { seen } = watch('users', '1000');
    await presence.set('CustomPresence:alice', PresenceState.AWAY, 'lunch', 'back at 2');
    await presence.set('CustomPresence:alice', PresenceState.AWAY, 'lunch', 'back at 2'); // same: no notify
    await presence.set('CustomPresence:bob', PresenceState.DND); // not ours
    await presence.set('CustomPresence:alice', PresenceState.AVAILABLE);
    assert.deepEqual(
      seen.map((c) => [c.reason, c.presence.state, c.presence.message, c.previousPresence.state, c.displayName]),
      [
        ['presence', PresenceState.AWAY, 'back at 2', PresenceState.NOT_SET, 'Alice'],
        ['presence', PresenceState.AVAILABLE, '', PresenceState.AWAY, 'Alice'],
      ],
    );
    assert.equal(ext.getState('users', '1000')!.presence.state, PresenceState.AVAILABLE);
  });

  it('a removed hint tells its watchers REMOVED once, then nothing more', () => {
    ext.applyHints([hint('1000', 'PJSIP/alice'), hint('1001', 'PJSIP/bob')]);
    devices.setState('PJSIP/alice', D.INUSE);
    const a = watch('users', '1000');
    const b = watch('users', '1001');
    ext.applyHints([hint('1001', 'PJSIP/bob')]);
    assert.deepEqual(a.seen.map((c) => [c.state, c.previousState, c.reason]), [[E.REMOVED, E.INUSE, 'removed']]);
    assert.equal(b.seen.length, 0);
    devices.setState('PJSIP/alice', D.NOT_INUSE);
    devices.setState('PJSIP/alice', D.RINGING);
    assert.equal(a.seen.length, 1);
    a.w.dispose(); // harmless after removal
    assert.equal(ext.getState('users', '1000'), undefined);
  });

  it('reload keeps watchers of hints that stay, and re-aggregates changed device lists', () => {
    ext.applyHints([hint('1000', 'PJSIP/alice')]);
    devices.setState('PJSIP/alice', D.NOT_INUSE);
    devices.setState('PJSIP/bob', D.INUSE);
    const { seen, w } = watch('users', '1000');
    ext.applyHints([hint('1000', 'PJSIP/alice')]); // same: nothing to say
    assert.equal(seen.length, 0);
    ext.applyHints([hint('1000', 'PJSIP/alice&PJSIP/bob')]);
    assert.deepEqual(seen.map((c) => [c.state, c.previousState]), [[E.INUSE, E.NOT_INUSE]]);
    devices.setState('PJSIP/bob', D.NOT_INUSE);
    assert.deepEqual(seen.map((c) => c.state), [E.INUSE, E.NOT_INUSE], 'the kept watcher hears the new device');
    ext.applyHints([hint('1000', 'PJSIP/alice')]);
    devices.setState('PJSIP/bob', D.BUSY); // no longer part of the hint
    assert.equal(seen.length, 2);
    w.dispose();
    devices.setState('PJSIP/alice', D.BUSY);
    assert.equal(seen.length, 2, 'disposed watcher hears nothing');
    assert.equal(ext.listHints()[0]!.watchers, 0);
  });

  it('a watcher may dispose another one during a callback', () => {
    ext.applyHints([hint('1000', 'PJSIP/alice')]);
    const calls: string[] = [];
    let second: { dispose(): void } | undefined;
    ext.addWatcher('users', '1000', () => {
      calls.push('first');
      second?.dispose();
    });
    second = ext.addWatcher('users', '1000', () => calls.push('second'));
    devices.setState('PJSIP/alice', D.BUSY);
    assert.deepEqual(calls, ['first']);
  });

  it('initial option calls back at once with the current state', () => {
    devices.setState('PJSIP/alice', D.ONHOLD);
    ext.applyHints([hint('1000', 'PJSIP/alice')]);
    const seen: ExtensionStateChange[] = [];
    ext.addWatcher('users', '1000', (c) => seen.push(c), { initial: true });
    assert.deepEqual(seen.map((c) => [c.reason, c.state]), [['initial', E.ONHOLD]]);
  });

  describe('pattern hints', () => {
    it('an exact hint beats a pattern; the most specific pattern wins', () => {
      ext.applyHints([
        hint('_X.', 'PJSIP/catchall'),
        hint('_1XX', 'PJSIP/${EXTEN}', 'users', 'Ext ${EXTEN}'),
        hint('_10X', 'PJSIP/ten-${EXTEN}'),
        hint('150', 'PJSIP/exact'),
      ]);
      assert.deepEqual(ext.getHint('users', '150')?.devices, ['PJSIP/exact']);
      assert.deepEqual(ext.getHint('users', '105')?.devices, ['PJSIP/ten-105']);
      const h = ext.getHint('users', '160')!;
      assert.deepEqual([h.kind, h.pattern, h.exten, h.devices], ['pattern', '_1XX', '160', ['PJSIP/160']]);
      assert.deepEqual(ext.getHint('users', '9999')?.devices, ['PJSIP/catchall']);
      assert.equal(ext.getHint('users', '_1XX')?.app, 'PJSIP/${EXTEN}');
    });

    it('getState computes a pattern-covered extension without adding a hint; addWatcher adds a concrete one', () => {
      ext.applyHints([hint('_1XX', 'PJSIP/${EXTEN}')]);
      devices.setState('PJSIP/160', D.INUSE);
      assert.equal(ext.getState('users', '160')!.state, E.INUSE);
      assert.equal(ext.getState('users', '_1XX')!.state, E.UNAVAILABLE);
      assert.deepEqual(ext.listHints().map((h) => `${h.exten}:${h.kind}`), ['_1XX:pattern']);
      assert.equal(ext.addWatcher('users', '_1XX', () => undefined), undefined, 'cannot watch a pattern');

      const { seen } = watch('users', '160');
      assert.deepEqual(
        ext.listHints().map((h) => [h.exten, h.kind, h.app, h.state, h.watchers]),
        [
          ['160', 'derived', 'PJSIP/160', E.INUSE, 1],
          ['_1XX', 'pattern', 'PJSIP/${EXTEN}', E.UNAVAILABLE, 0],
        ],
      );
      devices.setState('PJSIP/160', D.NOT_INUSE);
      assert.deepEqual(seen.map((c) => c.state), [E.NOT_INUSE]);
    });

    it('reload: a derived hint follows its pattern and is removed with it', () => {
      ext.applyHints([hint('_1XX', 'PJSIP/${EXTEN}')]);
      devices.setState('PJSIP/160', D.INUSE);
      devices.setState('Custom:160', D.BUSY);
      const { seen } = watch('users', '160');
      ext.applyHints([hint('_1XX', 'Custom:${EXTEN}')]);
      assert.deepEqual(seen.map((c) => [c.state, c.reason]), [[E.BUSY, 'device']]);
      assert.deepEqual(ext.getHint('users', '160')?.devices, ['Custom:160']);
      ext.applyHints([]);
      assert.deepEqual(seen.map((c) => c.state), [E.BUSY, E.REMOVED]);
    });

    it('reload: an explicit hint that goes while a pattern covers it keeps its watchers', () => {
      ext.applyHints([hint('160', 'PJSIP/explicit'), hint('_1XX', 'PJSIP/${EXTEN}')]);
      devices.setState('PJSIP/explicit', D.INUSE);
      devices.setState('PJSIP/160', D.INUSE);
      const { seen } = watch('users', '160');
      ext.applyHints([hint('_1XX', 'PJSIP/${EXTEN}')]);
      assert.equal(seen.length, 0, 'same state, nothing to say');
      assert.equal(ext.getHint('users', '160')?.kind, 'derived');
      devices.setState('PJSIP/160', D.BUSY);
      assert.deepEqual(seen.map((c) => c.state), [E.BUSY]);
    });
  });

  describe('autohints', () => {
    it('creates hint name -> device in autohint contexts on a device change', () => {
      ext.applyHints([hint('bob', 'PJSIP/bob-desk', 'users'), hint('_2XX', 'PJSIP/pattern', 'users')], ['users']);
      devices.setState('PJSIP/alice', D.INUSE);
      devices.setState('Custom:lamp', D.BUSY);
      devices.setState('PJSIP/bob', D.INUSE); // 'bob' already has a hint
      devices.setState('PJSIP/200', D.INUSE); // a pattern hint matches 200
      devices.setState('PJSIP/_X.', D.INUSE); // would be a pattern: no autohint
      const got = ext
        .listHints()
        .filter((h) => h.kind === 'autohint')
        .map((h) => `${h.exten}@${h.context}=${h.app}:${extensionStateToString(h.state)}`);
      assert.deepEqual(got, ['alice@users=PJSIP/alice:InUse', 'lamp@users=Custom:lamp:Busy']);
      assert.equal(ext.getHint('users', 'bob')?.app, 'PJSIP/bob-desk');
      assert.equal(ext.getHint('users', '200')?.kind, 'pattern');
    });

    it('are kept across reloads of autohint contexts and go when the context stops being one', () => {
      ext.applyHints([], ['users']);
      devices.setState('PJSIP/alice', D.INUSE);
      const { seen } = watch('users', 'alice');
      ext.applyHints([hint('1000', 'PJSIP/x')], ['users']);
      assert.equal(ext.getHint('users', 'alice')?.kind, 'autohint');
      devices.setState('PJSIP/alice', D.NOT_INUSE);
      assert.deepEqual(seen.map((c) => c.state), [E.NOT_INUSE]);
      ext.applyHints([hint('1000', 'PJSIP/x')], []);
      assert.deepEqual(seen.map((c) => c.state), [E.NOT_INUSE, E.REMOVED]);
      assert.equal(ext.getHint('users', 'alice'), undefined);
      devices.setState('PJSIP/carol', D.INUSE);
      assert.equal(ext.getHint('users', 'carol'), undefined, 'no longer an autohint context');
    });

    it('an explicit hint replaces an autohint on reload and keeps its watchers', () => {
      ext.applyHints([], ['users']);
      devices.setState('PJSIP/alice', D.INUSE);
      devices.setState('PJSIP/alice-mobile', D.RINGING);
      const { seen } = watch('users', 'alice');
      ext.applyHints([hint('alice', 'PJSIP/alice&PJSIP/alice-mobile')], ['users']);
      assert.equal(ext.getHint('users', 'alice')?.kind, 'config');
      assert.deepEqual(seen.map((c) => c.state), [E.INUSE | E.RINGING]);
    });

    it('are made at reload for devices that already have a state', () => {
      devices.setState('PJSIP/dave', D.BUSY);
      ext.applyHints([], ['sales']);
      assert.equal(ext.getState('sales', 'dave')?.state, E.BUSY);
    });
  });

  it('loadDialplan reads extensions.conf sections and returns their issues', () => {
    const file = 'extensions.conf';
    const v = (name: string, value: string, line: number) => ({ name, value, file, line, object: true, inherited: false });
    const sections: ConfigSection[] = [
      {
        name: 'users',
        file,
        line: 1,
        templates: [],
        variables: [v('exten', '1000,hint,PJSIP/alice(Alice)', 2), v('exten', '1001,hint(,PJSIP/bob', 3), v('autohints', 'yes', 4)],
      },
    ];
    const issues = ext.loadDialplan(sections);
    assert.deepEqual(issues.map((i) => [i.line, i.severity]), [[3, 'error']]);
    assert.equal(ext.getHint('users', '1000')?.displayName, 'Alice');
    assert.equal(ext.getHint('users', '1001'), undefined);
    devices.setState('PJSIP/erin', D.INUSE);
    assert.equal(ext.getHint('users', 'erin')?.kind, 'autohint');
  });

  it('listHints gives the core show hints columns', async () => {
    ext.applyHints([hint('1000', 'PJSIP/alice,CustomPresence:alice'), hint('900', 'PJSIP/bob', 'sales')]);
    devices.setState('PJSIP/alice', D.INUSE);
    await presence.set('CustomPresence:alice', PresenceState.DND);
    watch('users', '1000');
    assert.deepEqual(ext.listHints(), [
      {
        context: 'users',
        exten: '1000',
        app: 'PJSIP/alice,CustomPresence:alice',
        state: E.INUSE,
        presence: { state: PresenceState.DND, subtype: '', message: '' },
        watchers: 1,
        kind: 'config',
      },
      {
        context: 'sales',
        exten: '900',
        app: 'PJSIP/bob',
        state: E.UNAVAILABLE,
        presence: { state: PresenceState.NOT_SET, subtype: '', message: '' },
        watchers: 0,
        kind: 'config',
      },
    ]);
  });

  it('dispose stops following device changes', () => {
    ext.applyHints([hint('1000', 'PJSIP/alice')]);
    const { seen } = watch('users', '1000');
    ext.dispose();
    devices.setState('PJSIP/alice', D.BUSY);
    assert.equal(seen.length, 0);
  });

  it('finds the hints of a device through an index, not by scanning every hint', function () {
    this.timeout(10000);
    const n = 20000;
    const defs: HintDef[] = [];
    for (let i = 0; i < n; i++) defs.push(hint(String(100000 + i), `PJSIP/d${i}`));
    ext.applyHints(defs);
    let notified = 0;
    for (let i = 0; i < n; i += 1000) ext.addWatcher('users', String(100000 + i), () => notified++);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) devices.setState(`PJSIP/d${i}`, D.INUSE);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.equal(notified, n / 1000);
    // A scan of every hint per change would be 4e8 steps: far beyond this bound.
    assert.ok(ms < 2000, `${n} device changes took ${ms.toFixed(0)} ms`);
  });
});
