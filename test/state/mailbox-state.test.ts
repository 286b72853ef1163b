import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isTstError } from '../../core/errors.js';
import { LogHub } from '../../core/log.js';
import { openStore } from '../../core/store/lmdb-store.js';
import type { Store } from '../../core/store/types.js';
import { MWI_FAMILY, MailboxStateEngine, normalizeMailboxId, type MailboxChange } from '../../core/state/mailbox-state.js';

const log = new LogHub().logger('test');

describe('MailboxStateEngine', () => {
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
  const engine = () => new MailboxStateEngine({ store, log, eid: 'local' });

  it('names mailboxes mailbox@context with context default', () => {
    assert.equal(normalizeMailboxId('1000'), '1000@default');
    assert.equal(normalizeMailboxId('1000@'), '1000@default');
    assert.equal(normalizeMailboxId('1000@sales'), '1000@sales');
    assert.throws(() => normalizeMailboxId('@sales'), (e: unknown) => isTstError(e, 'TST_ERR_STATE'));
    assert.throws(() => normalizeMailboxId(''), (e: unknown) => isTstError(e, 'TST_ERR_STATE'));
  });

  it('stores local counts durably and a fresh engine on the reopened store has them', async () => {
    const e = engine();
    await e.update('1000', { new: 2, old: 5, urgent: 1 });
    assert.deepEqual(e.get('1000@default'), { new: 2, old: 5, urgent: 1 });
    assert.ok(store.get(MWI_FAMILY, '1000@default'));
    await e.update('2000@sales', { new: 0, old: 1 }, { eid: 'peer' });
    assert.equal(store.get(MWI_FAMILY, '2000@sales'), undefined, 'remote counts are not persisted');
    await store.close();

    store = openStore(dir);
    stores.push(store);
    const fresh = engine();
    assert.deepEqual(fresh.get('1000'), { new: 2, old: 5, urgent: 1 });
    assert.deepEqual(fresh.list(), [{ mailbox: '1000@default', eid: 'local', new: 2, old: 5, urgent: 1 }]);
    assert.equal(fresh.has('2000@sales'), false);
  });

  it('keeps counts per EID; the latest update wins; removeEid falls back', () => {
    const e = engine();
    const seen: MailboxChange[] = [];
    e.onChange((ev) => seen.push(ev));
    void e.update('1000', { new: 1, old: 0 });
    void e.update('1000', { new: 3, old: 1 }, { eid: 'peer' });
    assert.deepEqual(e.get('1000'), { new: 3, old: 1, urgent: 0 }, 'latest (peer) wins, not a sum');
    assert.deepEqual(
      [...e.getByEid('1000')],
      [
        ['local', { new: 1, old: 0, urgent: 0 }],
        ['peer', { new: 3, old: 1, urgent: 0 }],
      ],
    );
    e.removeEid('peer');
    assert.deepEqual(e.get('1000'), { new: 1, old: 0, urgent: 0 });
    assert.deepEqual(
      seen.map((s) => [s.eid, s.new, s.deleted]),
      [
        ['local', 1, false],
        ['peer', 3, false],
        ['peer', 1, false],
      ],
    );
  });

  it('delete removes the local counts from memory and disk', async () => {
    const e = engine();
    await e.update('1000', { new: 1, old: 0 });
    const seen: MailboxChange[] = [];
    e.onChange((ev) => seen.push(ev));
    assert.equal(await e.delete('1000'), true);
    assert.equal(store.get(MWI_FAMILY, '1000@default'), undefined);
    assert.equal(e.has('1000'), false);
    assert.deepEqual(e.get('1000'), { new: 0, old: 0, urgent: 0 });
    assert.deepEqual(seen, [{ mailbox: '1000@default', eid: 'local', new: 0, old: 0, urgent: 0, deleted: true }]);
    assert.equal(await e.delete('1000'), false);
  });

  it('refuses counts that are not non-negative integers', () => {
    const e = engine();
    for (const bad of [-1, 1.5, NaN, Infinity]) {
      assert.throws(() => e.update('1000', { new: bad, old: 0 }), (err: unknown) => isTstError(err, 'TST_ERR_STATE'));
      assert.throws(() => e.update('1000', { new: 0, old: 0, urgent: bad }), (err: unknown) => isTstError(err, 'TST_ERR_STATE'));
    }
    assert.throws(() => e.update('1000', { new: '2' as unknown as number, old: 0 }), (err: unknown) => isTstError(err, 'TST_ERR_STATE'));
    assert.equal(e.has('1000'), false);
  });

  it('skips unreadable stored entries', async () => {
    await store.putDurable(MWI_FAMILY, '1000@default', 'not json');
    await store.putDurable(MWI_FAMILY, '2000@default', JSON.stringify({ new: 1, old: 2 }));
    const e = engine();
    assert.equal(e.has('1000'), false);
    assert.deepEqual(e.get('2000'), { new: 1, old: 2, urgent: 0 });
  });
});
