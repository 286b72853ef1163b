import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isTstError } from '../../core/errors.js';
import { LogHub } from '../../core/log.js';
import { openStore } from '../../core/store/lmdb-store.js';
import type { Store } from '../../core/store/types.js';
import {
  CUSTOM_DEVSTATE_FAMILY,
  DeviceState,
  DeviceStateAggregate,
  DeviceStateEngine,
  aggregateDeviceStates,
  deviceKey,
  deviceStateDescription,
  deviceStateToString,
  parseDeviceState,
  type DeviceStateChange,
} from '../../core/state/device-state.js';

const log = new LogHub().logger('test');
const S = DeviceState;

describe('device states', () => {
  it('names, descriptions and parsing round-trip for every state', () => {
    const names = ['UNKNOWN', 'NOT_INUSE', 'INUSE', 'BUSY', 'INVALID', 'UNAVAILABLE', 'RINGING', 'RINGINUSE', 'ONHOLD'];
    const texts = ['Unknown', 'Not in use', 'In use', 'Busy', 'Invalid', 'Unavailable', 'Ringing', 'Ring+Inuse', 'On Hold'];
    for (let i = 0; i <= 8; i++) {
      assert.equal(deviceStateToString(i), names[i]);
      assert.equal(deviceStateDescription(i), texts[i]);
      assert.equal(parseDeviceState(names[i]!), i);
      assert.equal(parseDeviceState(names[i]!.toLowerCase()), i);
    }
    assert.equal(parseDeviceState('bogus'), undefined);
    assert.equal(parseDeviceState(''), undefined);
  });

  describe('aggregation (ast_devstate_aggregate_add)', () => {
    const vectors: Array<[DeviceState[], DeviceState]> = [
      [[S.NOT_INUSE, S.UNAVAILABLE], S.NOT_INUSE],
      [[S.UNKNOWN, S.UNAVAILABLE], S.UNAVAILABLE],
      [[S.RINGING, S.NOT_INUSE], S.RINGING],
      [[S.RINGING, S.ONHOLD], S.RINGINUSE],
      [[S.ONHOLD, S.INUSE], S.INUSE],
      [[S.BUSY, S.INUSE], S.BUSY],
      [[S.INVALID], S.INVALID],
      [[], S.INVALID],
      [[S.UNKNOWN], S.UNKNOWN],
      [[S.INVALID, S.UNKNOWN], S.UNKNOWN],
      [[S.NOT_INUSE, S.ONHOLD], S.ONHOLD],
    ];
    for (const [input, expected] of vectors) {
      it(`{${input.map(deviceStateToString).join(',')}} -> ${deviceStateToString(expected)}`, () => {
        assert.equal(aggregateDeviceStates(input), expected);
        assert.equal(aggregateDeviceStates([...input].reverse()), expected);
      });
    }

    it('RINGINUSE is sticky once ringing and in-use/busy/hold were both added', () => {
      for (const busyish of [S.INUSE, S.BUSY, S.ONHOLD]) {
        const a = new DeviceStateAggregate().add(S.RINGING).add(busyish);
        assert.equal(a.result(), S.RINGINUSE);
        a.add(S.NOT_INUSE).add(S.UNAVAILABLE).add(S.BUSY);
        assert.equal(a.result(), S.RINGINUSE, `after ${deviceStateToString(busyish)}`);
      }
      assert.equal(aggregateDeviceStates([S.INUSE, S.NOT_INUSE, S.RINGING]), S.RINGINUSE);
      assert.equal(aggregateDeviceStates([S.RINGINUSE, S.BUSY]), S.RINGINUSE);
      assert.equal(aggregateDeviceStates([S.RINGING, S.RINGING]), S.RINGING);
    });
  });

  it('deviceKey lower-cases only the technology or prefix', () => {
    assert.equal(deviceKey('PJSIP/Alice'), 'pjsip/Alice');
    assert.equal(deviceKey('CUSTOM:Lamp'), 'custom:Lamp');
    assert.equal(deviceKey('noprefix'), 'noprefix');
  });
});

describe('DeviceStateEngine', () => {
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

  const engine = (eid = 'local') => new DeviceStateEngine({ store, eid, log });

  it('aggregates the states of every EID and lists them with their EID', () => {
    const e = engine();
    e.setState('PJSIP/alice', S.NOT_INUSE);
    e.setState('PJSIP/alice', S.INUSE, { eid: 'peer1' });
    assert.equal(e.getState('PJSIP/alice'), S.INUSE);
    assert.equal(e.getLocal('PJSIP/alice'), S.NOT_INUSE);
    assert.deepEqual([...e.getByEid('PJSIP/alice')].sort(), [['local', S.NOT_INUSE], ['peer1', S.INUSE]]);
    e.setState('PJSIP/alice', S.RINGING);
    assert.equal(e.getState('PJSIP/alice'), S.RINGINUSE);
    assert.deepEqual(
      e.list().sort((a, b) => a.eid.localeCompare(b.eid)),
      [
        { device: 'PJSIP/alice', state: S.RINGING, eid: 'local' },
        { device: 'PJSIP/alice', state: S.INUSE, eid: 'peer1' },
      ],
    );
  });

  it('removeEid withdraws a peer, re-aggregates and notifies', () => {
    const e = engine();
    e.setState('PJSIP/alice', S.NOT_INUSE);
    e.setState('PJSIP/alice', S.BUSY, { eid: 'peer1' });
    e.setState('PJSIP/bob', S.INUSE, { eid: 'peer1' });
    const seen: DeviceStateChange[] = [];
    e.onChange((ev) => seen.push(ev));
    e.removeEid('peer1');
    assert.equal(e.getState('PJSIP/alice'), S.NOT_INUSE);
    // bob is gone entirely: no provider for PJSIP, so INVALID like an unknown technology
    assert.equal(e.getState('PJSIP/bob'), S.INVALID);
    assert.deepEqual(
      seen.map((s) => [s.device, s.state, s.changedEid, s.eidState]),
      [
        ['PJSIP/alice', S.NOT_INUSE, 'peer1', undefined],
        ['PJSIP/bob', S.INVALID, 'peer1', undefined],
      ],
    );
    assert.equal(e.list().length, 1);
    e.removeEid('peer1'); // nothing left: no events
    assert.equal(seen.length, 2);
  });

  it('notifies aggregate changes only, but every ringing update', () => {
    const e = engine();
    const seen: Array<[DeviceState, DeviceState | undefined]> = [];
    e.onChange((ev) => seen.push([ev.state, ev.previous]));
    e.setState('PJSIP/alice', S.NOT_INUSE);
    e.setState('PJSIP/alice', S.NOT_INUSE);
    e.setState('PJSIP/alice', S.NOT_INUSE, { eid: 'peer' }); // aggregate unchanged
    e.setState('PJSIP/alice', S.RINGING);
    e.setState('PJSIP/alice', S.RINGING);
    e.setState('PJSIP/alice', S.INUSE);
    assert.deepEqual(seen, [
      [S.NOT_INUSE, undefined],
      [S.RINGING, S.NOT_INUSE],
      [S.RINGING, S.RINGING],
      [S.INUSE, S.RINGING],
    ]);
  });

  it('passes non-cachable states through without caching them', () => {
    const e = engine();
    const seen: DeviceStateChange[] = [];
    e.onChange((ev) => seen.push(ev));
    e.setState('Local/100@default', S.INUSE, { cachable: false });
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.state, S.INUSE);
    assert.equal(seen[0]!.cachable, false);
    assert.equal(e.list().length, 0);
  });

  it('onEidUpdate hears every per-EID update, changed or not', () => {
    const e = engine();
    const seen: string[] = [];
    e.onEidUpdate((ev) => seen.push(`${ev.eid}:${deviceStateToString(ev.state)}`));
    e.setState('PJSIP/a', S.INUSE);
    e.setState('PJSIP/a', S.INUSE);
    e.setState('PJSIP/a', S.BUSY, { eid: 'p' });
    assert.deepEqual(seen, ['local:INUSE', 'local:INUSE', 'p:BUSY']);
  });

  it('asks the provider of the technology or prefix, case-insensitively, when nothing is cached', () => {
    const e = engine();
    const asked: string[] = [];
    const off = e.registerProvider('PJSIP', (name) => {
      asked.push(name);
      return name === 'alice' ? S.UNAVAILABLE : S.NOT_INUSE;
    });
    assert.equal(e.getState('pjsip/alice'), S.UNAVAILABLE);
    assert.equal(e.getState('PJSIP/bob'), S.NOT_INUSE);
    assert.deepEqual(asked, ['alice', 'bob']);
    e.setState('PJSIP/alice', S.INUSE);
    assert.equal(e.getState('PJSIP/alice'), S.INUSE);
    assert.equal(asked.length, 2, 'a cached state is not asked for');
    assert.equal(e.getState('SIP/alice'), S.INVALID, 'no provider -> INVALID');
    assert.equal(e.getState('nothing'), S.INVALID);
    off();
    assert.equal(e.getState('PJSIP/carol'), S.INVALID);
  });

  it('a local UNKNOWN asks the provider, like ast_devstate_changed', () => {
    const e = engine();
    e.registerProvider('PJSIP', () => S.BUSY);
    e.setState('PJSIP/alice', S.UNKNOWN);
    assert.equal(e.getLocal('PJSIP/alice'), S.BUSY);
  });

  it('refuses duplicate providers and bad states', () => {
    const e = engine();
    e.registerProvider('PJSIP', () => S.NOT_INUSE);
    assert.throws(() => e.registerProvider('pjsip', () => S.NOT_INUSE), (err: unknown) => isTstError(err, 'TST_ERR_DUPLICATE_REGISTRATION'));
    assert.throws(() => e.registerProvider('Custom', () => S.NOT_INUSE), (err: unknown) => isTstError(err, 'TST_ERR_DUPLICATE_REGISTRATION'));
    assert.throws(() => e.setState('PJSIP/a', 42 as DeviceState), (err: unknown) => isTstError(err, 'TST_ERR_STATE'));
    assert.throws(() => e.setState('', S.INUSE), (err: unknown) => isTstError(err, 'TST_ERR_STATE'));
  });

  it('a throwing listener does not stop the others', () => {
    const e = engine();
    let called = 0;
    e.onChange(() => {
      throw new Error('boom');
    });
    e.onChange(() => called++);
    e.setState('PJSIP/a', S.INUSE);
    assert.equal(called, 1);
  });

  describe('Custom: devices', () => {
    it('persist in CustomDevstate and are seen by a fresh engine after reopening the store', async () => {
      const e = engine();
      await e.setCustom('Custom:lamp1', S.BUSY);
      await e.setCustom('custom:lamp2', 'inuse');
      assert.equal(store.get(CUSTOM_DEVSTATE_FAMILY, 'lamp1'), 'BUSY');
      assert.equal(store.get(CUSTOM_DEVSTATE_FAMILY, 'lamp2'), 'INUSE');
      assert.equal(e.getState('Custom:lamp1'), S.BUSY);
      await store.close();

      store = openStore(dir);
      stores.push(store);
      const fresh = engine();
      assert.equal(fresh.getState('Custom:lamp1'), S.BUSY);
      assert.equal(fresh.getState('CUSTOM:lamp2'), S.INUSE);
      assert.equal(fresh.getLocal('Custom:lamp1'), S.BUSY, 'restored as a local state');
      assert.equal(fresh.getState('Custom:never'), S.UNKNOWN, 'unset custom device: UNKNOWN as in Asterisk');
      assert.deepEqual(fresh.listCustom(), [
        { device: 'Custom:lamp1', state: 'BUSY' },
        { device: 'Custom:lamp2', state: 'INUSE' },
      ]);
    });

    it('restore() publishes states written to the store since', async () => {
      const e = engine();
      const seen: string[] = [];
      e.onChange((ev) => seen.push(`${ev.device}=${deviceStateToString(ev.state)}`));
      await store.putDurable(CUSTOM_DEVSTATE_FAMILY, 'door', 'ONHOLD');
      e.restore();
      assert.deepEqual(seen, ['Custom:door=ONHOLD']);
    });

    it('refuses other devices and unknown states like the devstate CLI', () => {
      const e = engine();
      assert.throws(
        () => e.setCustom('PJSIP/alice', S.BUSY),
        (err: unknown) => isTstError(err, 'TST_ERR_STATE') && /only be used to set 'Custom:' device state/.test((err as Error).message),
      );
      assert.throws(() => e.setCustom('Custom:', S.BUSY), (err: unknown) => isTstError(err, 'TST_ERR_STATE'));
      assert.throws(() => e.setCustom('Custom:x', 'sleepy'), (err: unknown) => isTstError(err, 'TST_ERR_STATE'));
      assert.throws(() => e.setCustom('Custom:x', S.UNKNOWN), (err: unknown) => isTstError(err, 'TST_ERR_STATE'));
      assert.equal(store.get(CUSTOM_DEVSTATE_FAMILY, 'x'), undefined);
    });
  });
});
