import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeConfigDir, startInProcess, type InProcessNode } from '../support/node-harness.js';

// dist/test/examples/ → the source examples/ folder (the example is plain JavaScript, not compiled).
const EXAMPLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples', 'func_hello_state.mjs');

describe('examples: a third-party module loaded from modules.conf', () => {
  let n: InProcessNode;
  let dir: string;
  before(async () => {
    dir = makeConfigDir({
      'modules.conf': `[modules]\nautoload=yes\nload => ${EXAMPLE}\n`,
      'hello.conf': '[general]\nonline = world\n',
      'extensions.conf': '[default]\nexten => 500,hint,Hello:world\nexten => 501,hint,Hello:moon\n',
    });
    n = await startInProcess(dir, { noControlSocket: true });
  });
  after(async () => n.stop());

  it('runs through the same interface as a built-in and drives hints', async () => {
    assert.match(await n.run('module show like hello'), /^func_hello_state\.mjs\s+Example: Hello: device states from hello 0\s+Running\s+extended$/m);
    const hints = await n.run('core show hints');
    assert.match(hints, /500@default.*State:Idle\s/);
    assert.match(hints, /501@default.*State:Unavailable\s/);
    assert.equal(await n.run('hello show'), 'Hello:world is online\n');
  });

  it('reloads its config and the hints follow', async () => {
    writeFileSync(path.join(dir, 'hello.conf'), '[general]\nonline = moon\n');
    await n.run('module reload func_hello_state');
    const hints = await n.run('core show hints');
    assert.match(hints, /500@default.*State:Unavailable\s/);
    assert.match(hints, /501@default.*State:Idle\s/);
  });

  it('unloads without leaving anything behind', async () => {
    const before = n.node.core.registrySnapshot();
    await n.run('module unload func_hello_state');
    const after = n.node.core.registrySnapshot();
    assert.deepEqual(before.filter((k) => !after.includes(k)).sort(), ['CLI command:hello show@func_hello_state', 'device state provider:Hello']);
    await assert.rejects(n.run('hello show'), /No such command/);
  });
});
