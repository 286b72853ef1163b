/**
 * The glob(3) subset used by #include (GLOB_NOMAGIC | GLOB_BRACE, sorted matches), on real files.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { expandBraces, expandIncludePattern, isPattern } from '../../conf/dialect/glob.js';
import { cleanupTrees, writeTree } from './conf-fixtures.js';

describe('conf include globbing', () => {
  after(cleanupTrees);

  it('expands braces in order, nested and repeated; a group without a comma stays', () => {
    assert.deepEqual(expandBraces('a{b,c}d'), ['abd', 'acd']);
    assert.deepEqual(expandBraces('{x,y{1,2}}.conf'), ['x.conf', 'y1.conf', 'y2.conf']);
    assert.deepEqual(expandBraces('{a,b}{1,2}'), ['a1', 'a2', 'b1', 'b2']);
    assert.deepEqual(expandBraces('{a}'), ['{a}']);
    assert.deepEqual(expandBraces('{a,b'), ['{a,b']);
  });

  it('a name without wildcards comes back as is, existing or not (GLOB_NOMAGIC)', () => {
    assert.deepEqual(expandIncludePattern('/no/such/file.conf'), ['/no/such/file.conf']);
    assert.equal(isPattern('plain.conf'), false);
    assert.equal(isPattern('d/*.conf'), true);
    assert.equal(isPattern('{a,b}.conf'), true);
  });

  it('matches *, ? and [] per segment, sorted, skipping dot files and non-matching directories', () => {
    const dir = writeTree({
      'd1/b.conf': '',
      'd1/a.conf': '',
      'd1/a.txt': '',
      'd1/.h.conf': '',
      'd2/c.conf': '',
      'x/d3/z.conf': '',
      'd1/n1.conf': '',
      'd1/n2.conf': '',
      'd1/nx.conf': '',
    });
    const rel = (ps: string[]) => ps.map((p) => path.relative(dir, p));
    assert.deepEqual(rel(expandIncludePattern(path.join(dir, 'd1/*.conf'))), ['d1/a.conf', 'd1/b.conf', 'd1/n1.conf', 'd1/n2.conf', 'd1/nx.conf']);
    assert.deepEqual(rel(expandIncludePattern(path.join(dir, 'd*/?.conf'))), ['d1/a.conf', 'd1/b.conf', 'd2/c.conf']);
    assert.deepEqual(rel(expandIncludePattern(path.join(dir, 'd1/n[0-9].conf'))), ['d1/n1.conf', 'd1/n2.conf']);
    assert.deepEqual(rel(expandIncludePattern(path.join(dir, 'd1/n[!0-9].conf'))), ['d1/nx.conf']);
    assert.deepEqual(rel(expandIncludePattern(path.join(dir, 'd1/.*.conf'))), ['d1/.h.conf']);
    assert.deepEqual(rel(expandIncludePattern(path.join(dir, '*/z.conf'))), []);
    assert.deepEqual(rel(expandIncludePattern(path.join(dir, '{d2,d1}/[ab].conf'))), ['d1/a.conf', 'd1/b.conf']);
    assert.deepEqual(rel(expandIncludePattern(path.join(dir, '{d2,d1}/?.conf'))), ['d2/c.conf', 'd1/a.conf', 'd1/b.conf']);
  });
});
