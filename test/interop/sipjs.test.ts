/**
 * onsip SIP.js 0.21.2 in Node, with `ws` as its WebSocket, registers over the node's `ws`
 * transport (RFC 7118, upgrade on /ws with subprotocol `sip`) with digest authentication: the
 * Registerer reaches Registered, the node holds the contact with a `ws` flow and PJSIP/bob is
 * Not in use; unregistering removes the contact. Only registration: no session, no media, so
 * SIP.js's WebRTC session description handler is never used.
 */
import assert from 'node:assert/strict';
import { Registerer, RegistererState, UserAgent, type LogLevel } from 'sip.js';
import { WebSocket } from 'ws';
import { DeviceState } from '../../core/state/device-state.js';
import { interopPjsipConf, nodeLogTail, startInteropNode, waitFor, type InteropNode } from '../support/peers.js';

const PASSWORD = 'bob-interop-Pw1';

type GlobalWithWs = { WebSocket?: unknown };

describe('interop: SIP.js UserAgent registers over WebSocket', function () {
  this.timeout(20000);
  let n: InteropNode | undefined;
  let savedWebSocket: unknown;
  const agents: UserAgent[] = [];
  const uaLog: string[] = [];

  before(async () => {
    // SIP.js's Web transport calls `new WebSocket(server, "sip")`; Node 20 has no global one.
    const g = globalThis as GlobalWithWs;
    savedWebSocket = g.WebSocket;
    g.WebSocket = WebSocket;
    n = await startInteropNode(interopPjsipConf(PASSWORD));
  });

  afterEach(async function () {
    for (const ua of agents.splice(0)) await ua.stop().catch(() => undefined);
    if (this.currentTest?.state === 'failed') {
      console.log(`--- SIP.js log ---\n${uaLog.slice(-60).join('\n')}`);
      if (n) console.log(`--- node log ---\n${nodeLogTail(n)}`);
    }
    uaLog.length = 0;
  });

  after(async () => {
    for (const ua of agents.splice(0)) await ua.stop().catch(() => undefined);
    await n?.stop();
    const g = globalThis as GlobalWithWs;
    if (savedWebSocket === undefined) delete g.WebSocket;
    else g.WebSocket = savedWebSocket;
  });

  function makeAgent(password: string): UserAgent {
    const uri = UserAgent.makeURI('sip:bob@127.0.0.1');
    assert.ok(uri);
    const ua = new UserAgent({
      uri,
      transportOptions: { server: `ws://127.0.0.1:${n!.ports.ws}/ws`, connectionTimeout: 5 },
      authorizationUsername: 'bob',
      authorizationPassword: password,
      userAgentString: 'SIP.js interop (tsterisk)',
      logBuiltinEnabled: false,
      logLevel: 'debug',
      logConnector: (level: LogLevel, category: string, _label: string | undefined, content: string) => uaLog.push(`${level} ${category} ${content}`),
    });
    agents.push(ua);
    return ua;
  }

  /** Registers and waits for the final answer: its status code and the Registerer's state. */
  async function register(reg: Registerer): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      reg
        .register({
          requestDelegate: {
            onAccept: (r) => resolve(r.message.statusCode ?? 0),
            onReject: (r) => resolve(r.message.statusCode ?? 0),
          },
        })
        .catch(reject);
    });
  }

  it('reaches Registered with a ws contact on the node, and Unregistered removes it', async () => {
    const node = n!;
    const ua = makeAgent(PASSWORD);
    await ua.start();
    assert.equal(ua.isConnected(), true, 'the WebSocket to /ws with subprotocol sip is open');

    const reg = new Registerer(ua, { expires: 300 });
    const states: RegistererState[] = [];
    reg.stateChange.addListener((s) => states.push(s));

    const status = await register(reg);
    assert.equal(status, 200);
    assert.equal(reg.state, RegistererState.Registered);
    console.log(`      SIP.js Registerer states: ${states.join(' -> ')}`);

    // SIP.js first sent REGISTER without credentials and answered the node's 401 itself
    // (the node's SIP logger shows both over the WebSocket).
    const wsTraffic = node.logs.filter((l) => /SIP message \(\d+ bytes\) (to|from) WS:127\.0\.0\.1:\d+/.test(l));
    assert.ok(wsTraffic.some((l) => /Transmitting[^\n]*\nSIP\/2\.0 401 Unauthorized\r\n[\s\S]*CSeq: \d+ REGISTER/.test(l)), 'the node challenged the REGISTER over WS');
    assert.ok(wsTraffic.some((l) => /Received[^\n]*\nREGISTER [\s\S]*Authorization: Digest [^\r\n]*username="bob"/.test(l)), 'SIP.js answered the challenge');

    const contacts = await waitFor(() => (node.pjsip.location.contacts('bob').length === 1 ? node.pjsip.location.contacts('bob') : false), 'bob\'s contact');
    const c = contacts[0]!;
    assert.match(c.uri, /^sip:[^@]+@[^;>]+\.invalid;transport=ws$/, 'SIP.js contacts are <random>.invalid with transport=ws');
    assert.equal(c.flow?.protocol, 'ws');
    assert.equal(c.flow?.transport, 'ws');
    assert.equal(c.flow?.address, '127.0.0.1');
    assert.ok((c.flow?.connectionId ?? 0) > 0, 'the flow names the WebSocket connection to reach it back');
    assert.equal(c.expires, 300);
    assert.equal(c.userAgent, 'SIP.js interop (tsterisk)');
    assert.equal(node.node.core.devices.getState('PJSIP/bob'), DeviceState.NOT_INUSE);
    assert.match(await node.run('pjsip show contacts'), /via WS 127\.0\.0\.1:\d+/);

    await new Promise<void>((resolve, reject) => {
      reg.stateChange.addListener((s) => {
        if (s === RegistererState.Unregistered) resolve();
      });
      reg.unregister().catch(reject);
    });
    assert.equal(reg.state, RegistererState.Unregistered);
    await waitFor(() => node.pjsip.location.contacts('bob').length === 0, 'the contact to be removed');
    await waitFor(() => node.node.core.devices.getState('PJSIP/bob') === DeviceState.UNAVAILABLE, 'PJSIP/bob to be UNAVAILABLE');
    await ua.stop();
  });

  it('with a wrong password gets 403 and stays unregistered', async () => {
    const ua = makeAgent('not-the-password');
    await ua.start();
    const reg = new Registerer(ua, { expires: 300 });
    const status = await register(reg);
    assert.equal(status, 403);
    assert.notEqual(reg.state, RegistererState.Registered);
    assert.equal(n!.pjsip.location.contacts('bob').length, 0);
    await ua.stop();
  });
});
