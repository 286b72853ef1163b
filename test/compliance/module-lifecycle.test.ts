/**
 * Every module in the catalogue: load (after its dependencies), unload, load again, unload.
 * After each unload the registries must be exactly as they were before the module loaded.
 */
import assert from 'node:assert/strict';
import type { TsteriskModule } from '../../core/module.js';
import { catalogue, catalogueNames } from '../../modules/index.js';
import { makeConfigDir, startInProcess, type InProcessNode } from '../support/node-harness.js';

async function info(name: string): Promise<TsteriskModule['info']> {
  const ns = (await catalogue[name]!()) as { default: TsteriskModule };
  return ns.default.info;
}

/** The module's hard dependencies, deepest first. */
async function dependencyChain(name: string, seen = new Set<string>()): Promise<string[]> {
  const out: string[] = [];
  for (const dep of (await info(name)).requires ?? []) {
    if (seen.has(dep)) continue;
    seen.add(dep);
    out.push(...(await dependencyChain(dep, seen)), dep);
  }
  return out;
}

describe('compliance: every catalogue module loads, unloads and loads again cleanly', () => {
  let n: InProcessNode;
  before(async () => {
    n = await startInProcess(
      makeConfigDir({
        'modules.conf': '[modules]\nautoload=no\n',
        'extensions.conf': '[default]\nexten => 100,hint,Custom:a,CustomPresence:a\n',
      }),
      { noControlSocket: true },
    );
  });
  after(async () => n.stop());

  for (const name of catalogueNames()) {
    it(`${name}`, async () => {
      const deps = await dependencyChain(name);
      for (const d of deps) if (n.node.loader.get(d)?.status !== 'Running') await n.node.loader.load(d);
      const before = n.node.core.registrySnapshot();
      const m = await n.node.loader.load(name);
      assert.equal(m.status, 'Running');
      const loaded = n.node.core.registrySnapshot();
      await n.node.loader.unload(name);
      assert.deepEqual(n.node.core.registrySnapshot(), before, 'unload restores every registry');
      await n.node.loader.load(name);
      assert.deepEqual(n.node.core.registrySnapshot(), loaded, 'loading again registers the same things');
      await n.node.loader.unload(name);
      assert.deepEqual(n.node.core.registrySnapshot(), before);
      for (const d of [...deps].reverse()) await n.node.loader.unload(d);
    });
  }
});
