/**
 * Keeps the stack's transports in step with the `transport` objects: bound at load, added or
 * removed on reload. As in Asterisk, a changed transport is rebuilt only with allow_reload=yes
 * (otherwise the change waits for a restart and a warning says so).
 */
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { SipStack, SipTransportConfig } from '../../core/sip/stack.js';
import type { TransportProtocol } from '../../core/sip/transport/types.js';
import { transportBindPort, type TransportObject } from './object-types.js';

export function stackConfig(t: TransportObject): SipTransportConfig | undefined {
  if (t.protocol === 'flow' || !t.bind) return undefined;
  const host = t.bind.family === 'ipv6' ? `[${t.bind.host}]` : t.bind.host;
  const cfg: SipTransportConfig = {
    name: t.id,
    protocol: t.protocol as TransportProtocol,
    bind: `${host}:${transportBindPort(t)}`,
    verify_client: t.verify_client,
    verify_server: t.verify_server,
    ...(t.cert_file ? { cert_file: t.cert_file } : {}),
    ...(t.priv_key_file ? { priv_key_file: t.priv_key_file } : {}),
    ...(t.ca_list_file ? { ca_list_file: t.ca_list_file } : {}),
    ...(t.udp_recv_buffer_size > 0 ? { recvBufferSize: t.udp_recv_buffer_size } : {}),
    ...(t.tcp_idle_timeout > 0 ? { idleTimeoutMs: t.tcp_idle_timeout } : {}),
    ...(t.max_connections > 0 ? { maxConnections: t.max_connections } : {}),
  };
  return cfg;
}

export async function bindTransport(stack: SipStack, t: TransportObject, log: Logger): Promise<boolean> {
  const cfg = stackConfig(t);
  if (!cfg) return false;
  try {
    await stack.addTransport(cfg);
    return true;
  } catch (e) {
    log.error(`Transport '${t.id}' could not be started: ${errorMessage(e)}`);
    return false;
  }
}

export async function applyTransportChange(
  stack: SipStack,
  ev: { kind: 'created' | 'updated' | 'deleted'; object: TransportObject; previous?: TransportObject },
  log: Logger,
): Promise<void> {
  const t = ev.object;
  if (ev.kind === 'created') {
    await bindTransport(stack, t, log);
    return;
  }
  if (ev.kind === 'deleted') {
    if (stack.getTransport(t.id)) await stack.removeTransport(t.id);
    return;
  }
  if (!(ev.previous?.allow_reload ?? false) && !t.allow_reload) {
    log.warning(`Transport '${t.id}' changed but allow_reload=no: the change takes effect at restart`);
    return;
  }
  if (stack.getTransport(t.id)) await stack.removeTransport(t.id);
  await bindTransport(stack, t, log);
}
