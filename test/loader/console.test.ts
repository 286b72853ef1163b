import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { CLI_JS, makeConfigDir, startChild, startChildReady, startInProcess } from '../support/node-harness.js';

describe('tsterisk command: consoles, core stop, npm-package modules', function () {
  this.timeout(60000);

  it('-c reads CLI commands from the terminal; core stop now ends the node with status 0', async () => {
    const node = await startChildReady(makeConfigDir({ 'modules.conf': '[modules]\nautoload=yes\n' }), ['-c']);
    node.proc.stdin!.write('devstate change Custom:zed BUSY\n');
    await node.waitFor(/Changing Custom:zed to BUSY/);
    node.proc.stdin!.write('core stop now\n');
    assert.equal(await node.exited, 0);
    assert.ok(node.lines.some((l) => /Stopping now/.test(l)));
  });

  it('-r opens a remote console on the running node; -rx core stop gracefully stops it', async () => {
    const dir = makeConfigDir({ 'modules.conf': '[modules]\nautoload=yes\n' });
    const node = await startChildReady(dir);
    const remote = spawn(process.execPath, [CLI_JS, '-C', dir, '-r'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    remote.stdout.on('data', (c: Buffer) => (out += c.toString()));
    remote.stdin.write('mwi update 7@remote 1 2\nmwi show\nbogus command\nexit\n');
    const code = await new Promise<number | null>((r) => remote.on('exit', r));
    assert.equal(code, 0);
    assert.match(out, /Connected to tsterisk at .*tsterisk\.ctl/);
    assert.match(out, /^\s+1\s+2\s+0 7@remote/m);
    assert.match(out, /No such command 'bogus command'/);
    const stop = await node.rx('core stop gracefully');
    assert.equal(stop.code, 0);
    assert.equal(await node.exited, 0);
  });

  it('refuses a second node on the same control socket and exits non-zero', async () => {
    const dir = makeConfigDir({});
    const first = await startChildReady(dir);
    const second = await startChild(dir);
    assert.notEqual(await second.exited, 0);
    assert.ok(second.lines.some((l) => /another node is running/.test(l)));
    first.proc.kill('SIGTERM');
    assert.equal(await first.exited, 0);
  });

  it('loads a module published as an npm package (found from the config folder)', async () => {
    const dir = makeConfigDir({ 'modules.conf': '[modules]\nautoload=no\nload => tst-pkg-module\n' });
    const pkg = path.join(dir, 'node_modules', 'tst-pkg-module');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'tst-pkg-module', version: '1.0.0', type: 'module', main: 'index.js' }));
    writeFileSync(
      path.join(pkg, 'index.js'),
      "export default { info: { name: 'res_pkg_demo', description: 'from a package', supportLevel: 'extended' }, load(ctx) { ctx.core.cli.register('pkg demo', { command: 'pkg demo', usage: 'pkg demo', summary: 'x', handler(a, io) { io.print('package says hi\\n'); } }); } };\n",
    );
    const n = await startInProcess(dir, { noControlSocket: true });
    try {
      assert.equal(await n.run('pkg demo'), 'package says hi\n');
      assert.match(await n.run('module show like pkg'), /tst-pkg-module\s+from a package\s+0\s+Running/);
    } finally {
      await n.stop();
    }
  });
});
