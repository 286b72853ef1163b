import assert from 'node:assert/strict';
import { makeConfigDir, startInProcess, type InProcessNode } from '../support/node-harness.js';
import { StartupError, TsteriskNode } from '../../loader/node.js';

/** A third-party module file, written as a user would write one (plain ESM JavaScript). */
function mod(name: string, opts: { requires?: string[]; optional?: string[]; pri?: number; body?: string; top?: string; extra?: string } = {}): string {
  return `${opts.top ?? ''}
export default {
  info: { name: '${name}', description: 'fixture ${name}', supportLevel: 'extended', loadPriority: ${opts.pri ?? 128},
          requires: ${JSON.stringify(opts.requires ?? [])}, optional: ${JSON.stringify(opts.optional ?? [])} },
  load(ctx) {
    ctx.core.cli.register('${name} ping', { command: '${name} ping', usage: '${name} ping', summary: 'ping', handler(a, io) { io.print('pong from ${name}\\n'); } });
    ${opts.body ?? ''}
  },
  ${opts.extra ?? ''}
};
`;
}

function modulesConf(lines: string[]): string {
  return `[modules]\nautoload=no\n${lines.join('\n')}\n`;
}

describe('loader: loading, declining, unloading (real module files through modules.conf)', () => {
  const nodes: InProcessNode[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.stop();
  });
  async function boot(files: Record<string, string>): Promise<InProcessNode> {
    const n = await startInProcess(makeConfigDir(files));
    nodes.push(n);
    return n;
  }

  it('starts dependencies first and reports the order and status in module show', async () => {
    const n = await boot({
      'modules.conf': modulesConf(['load => mod_c.mjs', 'load => mod_b.mjs', 'load => mod_a.mjs']),
      'mod_a.mjs': mod('mod_a', { requires: ['mod_b'], pri: 1 }),
      'mod_b.mjs': mod('mod_b', { pri: 90 }),
      'mod_c.mjs': mod('mod_c', { pri: 50 }),
    });
    assert.deepEqual([...n.node.loader.startOrder()], ['mod_c', 'mod_b', 'mod_a']);
    const out = await n.run('module show like mod_');
    const rows = out.split('\n').filter((l) => l.startsWith('mod_'));
    assert.equal(rows.length, 3);
    const b = rows.find((r) => r.startsWith('mod_b'))!;
    assert.match(b, /^mod_b\.mjs\s+fixture mod_b\s+1\s+Running\s+extended$/);
    assert.match(out, /^Module\s+Description\s+Use Count\s+Status\s+Support Level$/m);
    assert.match(out, /3 modules loaded/);
    assert.equal(await n.run('mod_a ping'), 'pong from mod_a\n');
  });

  it('a module that throws in load is undone and declined, its dependents decline with one log line, the rest runs', async () => {
    const n = await boot({
      'modules.conf': modulesConf(['load => bad.mjs', 'load => needs_bad.mjs', 'load => needs_needs_bad.mjs', 'load => fine.mjs']),
      'bad.mjs': mod('bad', { body: "throw new Error('no licence');" }),
      'needs_bad.mjs': mod('needs_bad', { requires: ['bad'] }),
      'needs_needs_bad.mjs': mod('needs_needs_bad', { requires: ['needs_bad'] }),
      'fine.mjs': mod('fine'),
    });
    const st = Object.fromEntries(n.node.loader.list().map((m) => [m.name, m.status]));
    assert.deepEqual(st, { bad: 'Declined', needs_bad: 'Declined', needs_needs_bad: 'Declined', fine: 'Running' });
    assert.equal(n.node.core.cli.has('bad ping'), false, "bad's registration before the throw was undone");
    const line = n.logs.filter((l) => l.includes('Declined modules which depend on bad'));
    assert.equal(line.length, 1);
    assert.match(line[0]!, /needs_bad, needs_needs_bad/);
    assert.equal(await n.run('fine ping'), 'pong from fine\n');
  });

  it('a module file that throws at import, a missing file and a cycle decline with clear messages; the node runs', async () => {
    const n = await boot({
      'modules.conf': modulesConf(['load => broken.mjs', 'load => nothere.mjs', 'load => cyc1.mjs', 'load => cyc2.mjs', 'load => ok.mjs']),
      'broken.mjs': "throw new Error('syntax of doom');\n",
      'cyc1.mjs': mod('cyc1', { requires: ['cyc2'] }),
      'cyc2.mjs': mod('cyc2', { requires: ['cyc1'] }),
      'ok.mjs': mod('ok'),
    });
    const st = Object.fromEntries(n.node.loader.list().map((m) => [m.name, m.status]));
    assert.equal(st['broken.mjs'], 'Declined');
    assert.equal(st['nothere.mjs'], 'Declined');
    assert.equal(st.cyc1, 'Declined');
    assert.equal(st.cyc2, 'Declined');
    assert.equal(st.ok, 'Running');
    assert.ok(n.logs.some((l) => /broken\.mjs.*syntax of doom/.test(l)));
    assert.ok(n.logs.some((l) => /nothere\.mjs.*not found/.test(l)));
    assert.ok(n.logs.some((l) => /dependency cycle: cyc\d -> cyc\d -> cyc\d/.test(l)));
  });

  it('an invalid module export is declined with what is wrong', async () => {
    const n = await boot({
      'modules.conf': modulesConf(['load => weird.mjs']),
      'weird.mjs': "export default { info: { name: 'weird', supportLevel: 'gold' } };\n",
    });
    assert.equal(n.node.loader.get('weird.mjs')!.status, 'Declined');
    assert.ok(n.logs.some((l) => /supportLevel must be/.test(l) && /load\(\) missing/.test(l)));
  });

  it('a declined require= module stops start-up with exit status 2', async () => {
    const dir = makeConfigDir({
      'modules.conf': modulesConf(['require => bad.mjs', 'load => ok.mjs']),
      'bad.mjs': mod('bad', { body: "throw new Error('cannot');" }),
      'ok.mjs': mod('ok'),
    });
    await assert.rejects(TsteriskNode.start({ configDir: dir, logSink: () => undefined }), (e: unknown) => e instanceof StartupError && e.exitCode === 2 && /bad/.test(e.message));
  });

  it('unload is refused while dependents run or the module is in use; -f ends what it holds; registries return to their snapshot', async () => {
    const n = await boot({
      'modules.conf': modulesConf(['load => base.mjs', 'load => user.mjs']),
      'base.mjs': mod('base', {
        top: 'let held = 0; let ended = 0;',
        body: "ctx.core.cli.register('base hold', { command: 'base hold', usage: 'base hold', summary: 'hold', handler(a, io) { held++; io.print(String(held)); } });",
        extra: 'useCount() { return held; }, unload(ctx, o) { if (held > 0 && !o.force) throw new Error("busy"); ended += held; held = 0; globalThis.__tstEnded = ended; },',
      }),
      'user.mjs': mod('user', { requires: ['base'] }),
    });
    const before = n.node.core.registrySnapshot();
    await assert.rejects(n.run('module unload base'), /Soft unload failed, 'base' has use count 1 \(needed by user\)/);
    await n.run('module unload user');
    await n.run('base hold');
    await n.run('base hold');
    await assert.rejects(n.run('module unload base'), /use count 2/);
    assert.equal(n.node.loader.get('base')!.status, 'Running');
    assert.equal(await n.run('module unload -f base'), 'Unloaded base\n');
    assert.equal((globalThis as { __tstEnded?: number }).__tstEnded, 2);
    const after = n.node.core.registrySnapshot();
    assert.deepEqual(after, before.filter((k) => !/@(base|user)$/.test(k)));
    assert.equal(n.node.core.cli.has('base ping'), false);
    // Load again: the same registrations come back.
    await n.run('module load base.mjs');
    await n.run('module load user.mjs');
    assert.deepEqual(n.node.core.registrySnapshot(), before);
  });

  it('runtime module load refuses a module whose dependency is not running (as Asterisk does)', async () => {
    const n = await boot({
      'modules.conf': modulesConf(['noload => dep.mjs']),
      'dep.mjs': mod('dep'),
      'top.mjs': mod('top', { requires: ['dep'] }),
    });
    await assert.rejects(n.run('module load top.mjs'), /dependency dep is not running/);
    await n.run('module load dep.mjs');
    assert.equal(await n.run('module load top.mjs'), 'Loaded top\n');
    await assert.rejects(n.run('module load top.mjs'), /already running/);
  });

  it('services: provided by one module, used by a module that declared it, refused to one that did not', async () => {
    const n = await boot({
      'modules.conf': modulesConf(['load => provider.mjs', 'load => consumer.mjs', 'load => sneaky.mjs']),
      'provider.mjs': mod('provider', { body: "ctx.provide('greeter', { hello: () => 'hi' });" }),
      'consumer.mjs': mod('consumer', { requires: ['provider'], body: "ctx.core.cli.register('consumer greet', { command: 'consumer greet', usage: 'x', summary: 'x', handler(a, io) { io.print(ctx.use('greeter').hello()); } });" }),
      'sneaky.mjs': mod('sneaky', { pri: 200, body: "ctx.use('greeter');" }),
    });
    assert.equal(await n.run('consumer greet'), 'hi');
    assert.equal(n.node.loader.get('sneaky')!.status, 'Declined');
    assert.ok(n.logs.some((l) => /sneaky uses service 'greeter' of provider without declaring provider/.test(l)));
  });

  it('module reload calls reload(); a module without one says it does not support reloads', async () => {
    const n = await boot({
      'modules.conf': modulesConf(['load => r.mjs', 'load => nr.mjs']),
      'r.mjs': mod('r', { top: 'let reloads = 0;', extra: "reload(ctx) { reloads++; ctx.log.notice('reloaded ' + reloads); }," }),
      'nr.mjs': mod('nr'),
    });
    assert.equal(await n.run('module reload r'), "Module 'r' reloaded successfully.\n");
    await assert.rejects(n.run('module reload nr'), /does not support reloads/);
    assert.match(await n.run('core reload'), /Reloaded \d+ modules: .*\br\b/);
    assert.equal(n.logs.filter((l) => /reloaded \d/.test(l)).length, 2);
  });
});
