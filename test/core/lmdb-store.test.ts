import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../../core/store/lmdb-store.js';

describe('core: LMDB store', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tst-store-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('batched writes, deletes and a cold family all reach disk and come back after a reopen', async () => {
    const a = openStore(dir);
    a.coldFamily('cold');
    for (let i = 0; i < 200; i++) a.put('cold', `k${String(i).padStart(3, '0')}`, `v${i}`);
    a.put('warm', 'x', '1');
    a.put('warm', 'y', '2');
    assert.equal(a.get('warm', 'x'), '1', 'a mirrored family reads its write at once');
    assert.equal(a.del('warm', 'y'), true);
    assert.equal(a.del('warm', 'nope'), false);
    await a.flush();
    // A cold family is read from the database: after the batch is committed its records are there.
    assert.equal(a.get('cold', 'k007'), 'v7');
    assert.equal(a.list('cold').length, 200);
    assert.deepEqual(a.list('cold', 'k19').map((e) => e.key), ['k190', 'k191', 'k192', 'k193', 'k194', 'k195', 'k196', 'k197', 'k198', 'k199']);
    a.del('cold', 'k000');
    assert.equal(await a.delDurable('cold', 'k001'), true);
    assert.equal(await a.delDurable('cold', 'k001'), false);
    await a.close();

    const b = openStore(dir);
    b.coldFamily('cold');
    assert.equal(b.get('warm', 'x'), '1');
    assert.equal(b.get('warm', 'y'), undefined);
    const cold = b.list('cold');
    assert.equal(cold.length, 198);
    assert.equal(cold[0]!.key, 'k002');
    assert.deepEqual(b.list().map((e) => e.family).filter((f, i, all) => all.indexOf(f) === i), ['cold', 'warm'], 'list() covers cold families too');
    assert.equal(b.delTree('cold', 'k1'), 100);
    await b.flush();
    assert.equal(b.list('cold').length, 98);
    await b.close();
  });
});
