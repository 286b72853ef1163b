import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sinon from 'sinon';
import { LogHub } from '../../core/log.js';
import { openStore } from '../../core/store/lmdb-store.js';
import type { Store } from '../../core/store/types.js';
import { Location, type Contact, type ContactEvent } from '../../modules/res_pjsip/location.js';

const log = new LogHub().logger('test');

function contact(aor: string, uri: string, expiresAt: number): Contact {
  return { aor, uri, expiresAt, expires: 60, registeredAt: 0, userAgent: 'test', flow: { protocol: 'udp', transport: 't', address: '127.0.0.1', port: 5062 } };
}

describe('res_pjsip location: contacts with expiry and persistence', () => {
  let dir: string;
  let store: Store;
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tst-loc-'));
    store = openStore(dir);
    clock = sinon.useFakeTimers({ now: 1_000_000, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(async () => {
    clock.restore();
    await store.close();
  });

  it('expires a contact at its time, not before, and says so once', () => {
    const loc = new Location(store, log);
    const events: string[] = [];
    loc.onChange((e: ContactEvent) => events.push(`${e.kind}:${e.contact.uri}`));
    loc.upsert(contact('alice', 'sip:a@127.0.0.1:5062', Date.now() + 60_000));
    clock.tick(59_999);
    assert.equal(loc.contacts('alice').length, 1);
    clock.tick(2);
    assert.equal(loc.contacts('alice').length, 0);
    assert.deepEqual(events, ['added:sip:a@127.0.0.1:5062', 'expired:sip:a@127.0.0.1:5062']);
    assert.equal(store.list('registrar').length, 0);
    loc.dispose();
  });

  it('a refresh re-arms the expiry', () => {
    const loc = new Location(store, log);
    loc.upsert(contact('alice', 'sip:a@x', Date.now() + 10_000));
    clock.tick(9_000);
    assert.equal(loc.upsert(contact('alice', 'sip:a@x', Date.now() + 10_000)), 'updated');
    clock.tick(9_000);
    assert.equal(loc.contacts('alice').length, 1);
    clock.tick(1_001);
    assert.equal(loc.contacts('alice').length, 0);
    loc.dispose();
  });

  it('restores contacts from the store after a restart and drops the expired ones', async () => {
    const loc = new Location(store, log);
    loc.upsert(contact('alice', 'sip:a1@x', Date.now() + 30_000));
    loc.upsert(contact('alice', 'sip:a2@x', Date.now() + 90_000));
    loc.upsert(contact('bob', 'sip:b@x', Date.now() + 90_000));
    loc.dispose();
    await store.close();
    clock.tick(60_000);
    store = openStore(dir);
    const again = new Location(store, log);
    assert.equal(again.restore(), 2);
    assert.deepEqual(again.contacts('alice').map((c) => c.uri), ['sip:a2@x']);
    assert.deepEqual(again.contacts('bob')[0]!.flow, { protocol: 'udp', transport: 't', address: '127.0.0.1', port: 5062 });
    clock.tick(30_001);
    assert.equal(again.size, 0, 'restored contacts expire on time');
    again.dispose();
  });
});
