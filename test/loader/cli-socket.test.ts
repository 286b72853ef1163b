import assert from 'node:assert/strict';
import { makeConfigDir, rx, startChildReady, type ChildNode } from '../support/node-harness.js';

const EXTENSIONS = `[general]
static=yes
[users]
exten => 1000,hint,Custom:alice&Custom:bob,CustomPresence:alice
exten => 1001,hint,Custom:carol(Carol C)
exten => 1002,1,NoOp()
 same => n,Hangup()
`;

describe('tsterisk command: a real node process and its control socket', function () {
  this.timeout(60000);
  let node: ChildNode | undefined;
  afterEach(async () => {
    if (node && node.proc.exitCode === null) {
      node.proc.kill('SIGKILL');
      await node.exited;
    }
    node = undefined;
  });

  it('prints tsterisk Ready. once, answers -rx commands, and stops gracefully on SIGTERM', async () => {
    node = await startChildReady(makeConfigDir({ 'modules.conf': '[modules]\nautoload=yes\n', 'extensions.conf': EXTENSIONS }));
    const v = await node.rx('core show version');
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^tsterisk \d+\.\d+\.\d+ on Node\.js v\d+/);
    const hints = await node.rx('core show hints');
    assert.equal(hints.code, 0);
    const rows = hints.stdout.split('\n').filter((l) => l.includes('@users'));
    assert.equal(rows.length, 2);
    const r1000 = rows.find((r) => r.startsWith('1000@users'))!;
    assert.equal(r1000.slice(0, 32), `${'1000@users'.padEnd(30)}: `);
    assert.match(r1000, /Custom:alice&Custom:bob,CustomPresence:alice\s+State:Idle\s+Presence:not_set\s+Watchers  0$/);
    assert.match(hints.stdout, /- 2 hints registered/);

    const ch = await node.rx('devstate change Custom:alice INUSE');
    assert.equal(ch.code, 0);
    assert.equal(ch.stdout, 'Changing Custom:alice to INUSE\n');
    assert.match((await node.rx('core show hints')).stdout, /1000@users.*State:InUse\s/);
    await node.rx('devstate change Custom:bob RINGING');
    assert.match((await node.rx('core show hints')).stdout, /1000@users.*State:InUse&Ringing\s/);
    const list = await node.rx('devstate list');
    assert.match(list.stdout, /--- Name: 'Custom:alice'  State: 'INUSE'  EID: '02:00:00:00:00:01 \(local\)'/);

    const p = await node.rx('presencestate change CustomPresence:alice "AWAY,lunch,back at 2"');
    assert.equal(p.code, 0, p.stderr);
    const pl = await node.rx('presencestate list');
    assert.match(pl.stdout, /--- Name: 'CustomPresence:alice'\n---    State: 'away'\n---    Subtype: 'lunch'\n---    Message: 'back at 2'/);
    assert.match((await node.rx('core show hints')).stdout, /1000@users.*Presence:away\s/);

    assert.equal((await node.rx('mwi update 1000@users 3 1 2')).code, 0);
    assert.match((await node.rx('mwi show')).stdout, /^\s+3\s+1\s+2 1000@users\s+02:00:00:00:00:01 \(local\)$/m);

    node.proc.kill('SIGTERM');
    assert.equal(await node.exited, 0);
    assert.equal(node.lines.filter((l) => l === 'tsterisk Ready.').length, 1);
    assert.ok(node.lines.some((l) => /Stopping gracefully/.test(l)));
  });

  it('fails with a non-zero status and a message for unknown commands, bad state, non-Custom devices and bad usage', async () => {
    node = await startChildReady(makeConfigDir({ 'modules.conf': '[modules]\nautoload=yes\n' }));
    const unknown = await node.rx('core show frobnicators');
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /No such command 'core show frobnicators'/);
    const nonCustom = await node.rx('devstate change PJSIP/alice INUSE');
    assert.notEqual(nonCustom.code, 0);
    assert.match(nonCustom.stderr, /can only be used to set 'Custom:' device state/);
    const badState = await node.rx('devstate change Custom:alice SLEEPY');
    assert.notEqual(badState.code, 0);
    assert.match(badState.stderr, /Unknown device state 'SLEEPY'/);
    const usage = await node.rx('mwi update 1000@users x');
    assert.notEqual(usage.code, 0);
    assert.match(usage.stderr, /not a valid new message count/);
    const quote = await node.rx('presencestate change CustomPresence:bob "AWAY');
    assert.notEqual(quote.code, 0);
    assert.match(quote.stderr, /unterminated double quote/);
    // The node is still there and well.
    assert.equal((await node.rx('core show version')).code, 0);
  });

  it('says which socket it tried when no node is running', async () => {
    const dir = makeConfigDir({});
    const r = await rx(dir, 'core show version');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Unable to connect to remote tsterisk \(does .*tsterisk\.ctl exist\?\)/);
  });

  it('keeps acknowledged state across kill -9 and restart (devstate, presencestate, mwi, database)', async () => {
    const dir = makeConfigDir({ 'modules.conf': '[modules]\nautoload=yes\n', 'extensions.conf': EXTENSIONS });
    node = await startChildReady(dir);
    assert.equal((await node.rx('devstate change Custom:carol BUSY')).code, 0);
    assert.equal((await node.rx('presencestate change CustomPresence:alice DND,meeting')).code, 0);
    assert.equal((await node.rx('mwi update 1001@users 4 5')).code, 0);
    assert.equal((await node.rx('database put family key value1')).code, 0);
    node.proc.kill('SIGKILL');
    await node.exited;
    node = await startChildReady(dir);
    assert.match((await node.rx('core show hints')).stdout, /1001@users.*State:Busy\s/);
    assert.match((await node.rx('devstate list')).stdout, /'Custom:carol'  State: 'BUSY'/);
    assert.match((await node.rx('presencestate list')).stdout, /State: 'dnd'\n---    Subtype: 'meeting'/);
    assert.match((await node.rx('mwi show')).stdout, /^\s+4\s+5\s+0 1001@users/m);
    assert.equal((await node.rx('database get family key')).stdout, 'Value: value1\n');
    assert.match((await node.rx('database show CustomDevstate')).stdout, /\/CustomDevstate\/carol\s+: BUSY/);
    assert.equal((await node.rx('database del family key')).code, 0);
    const gone = await node.rx('database get family key');
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /Database entry not found/);
  });

  it('reports a bad config line with file and line and still loads the rest', async () => {
    const dir = makeConfigDir({
      'modules.conf': '[modules]\nautoload=yes\nlaod => oops\n',
      'extensions.conf': '[users]\nexten => 2000,hint,Custom:dave\nthis line is nonsense\nexten => 2001,hint,Custom:erin\n',
    });
    node = await startChildReady(dir);
    assert.ok(node.lines.some((l) => /modules\.conf:3:.*laod/.test(l)), node.lines.join('\n'));
    assert.ok(node.lines.some((l) => /extensions\.conf:3/.test(l)), node.lines.join('\n'));
    const hints = (await node.rx('core show hints')).stdout;
    assert.match(hints, /2000@users/);
    assert.match(hints, /2001@users/);
  });
});
