/**
 * `identify` match= entries (res_pjsip_endpoint_identifier_ip): addresses, CIDRs (`/24` or
 * `/255.255.255.0`), an optional port (`1.2.3.4:5060`, `[::1]:5060`), and host names, which are
 * resolved when the object loads (as Asterisk resolves them at load). Matching uses Node's
 * net.BlockList, so IPv4 and IPv6 need no hand-written bit arithmetic.
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';

export interface MatchEntry {
  /** As written. */
  text: string;
  kind: 'address' | 'subnet' | 'host';
  family?: 'ipv4' | 'ipv6';
  address?: string;
  prefix?: number;
  port?: number;
  host?: string;
}

function maskToPrefix(mask: string): number | undefined {
  if (!net.isIPv4(mask)) return undefined;
  const bits = mask.split('.').map((o) => Number(o).toString(2).padStart(8, '0')).join('');
  if (!/^1*0*$/.test(bits)) return undefined;
  return bits.indexOf('0') < 0 ? 32 : bits.indexOf('0');
}

/** Parses one match= value; throws with a message naming what is wrong. */
export function parseMatchEntry(raw: string): MatchEntry {
  const text = raw.trim();
  if (text === '') throw new Error('empty match');
  let addr = text;
  let port: number | undefined;
  const v6port = /^\[([^\]]+)\](?::(\d+))?(\/.+)?$/.exec(text);
  let suffix = '';
  if (v6port) {
    addr = v6port[1]!;
    if (v6port[2] !== undefined) port = Number(v6port[2]);
    suffix = v6port[3] ?? '';
  } else {
    const slash = text.indexOf('/');
    const base = slash >= 0 ? text.slice(0, slash) : text;
    suffix = slash >= 0 ? text.slice(slash) : '';
    const colon = base.lastIndexOf(':');
    if (colon > 0 && base.indexOf(':') === colon && /^\d+$/.test(base.slice(colon + 1))) {
      addr = base.slice(0, colon);
      port = Number(base.slice(colon + 1));
    } else addr = base;
  }
  if (port !== undefined && (port < 1 || port > 65535)) throw new Error(`bad port in '${text}'`);
  const family = net.isIPv4(addr) ? 'ipv4' : net.isIPv6(addr) ? 'ipv6' : undefined;
  if (!family) {
    if (suffix !== '') throw new Error(`'${text}' is not an address or subnet`);
    if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(addr)) throw new Error(`'${text}' is not an address, subnet or host name`);
    const e: MatchEntry = { text, kind: 'host', host: addr };
    if (port !== undefined) e.port = port;
    return e;
  }
  const max = family === 'ipv4' ? 32 : 128;
  let prefix: number | undefined;
  if (suffix !== '') {
    const m = suffix.slice(1);
    prefix = /^\d+$/.test(m) ? Number(m) : family === 'ipv4' ? maskToPrefix(m) : undefined;
    if (prefix === undefined || prefix > max) throw new Error(`bad mask in '${text}'`);
  }
  const e: MatchEntry = { text, kind: prefix === undefined || prefix === max ? 'address' : 'subnet', family, address: addr };
  if (prefix !== undefined) e.prefix = prefix;
  if (port !== undefined) e.port = port;
  return e;
}

/** A compiled set of match entries; host names must be resolved first (resolveHosts). */
export class IpMatcher {
  private readonly anyPort = new net.BlockList();
  private readonly withPort = new Map<number, net.BlockList>();

  constructor(entries: readonly MatchEntry[], resolved: ReadonlyMap<string, string[]> = new Map()) {
    for (const e of entries) {
      const list = e.port === undefined ? this.anyPort : this.portList(e.port);
      if (e.kind === 'host') {
        for (const a of resolved.get(e.host!) ?? []) list.addAddress(a, net.isIPv6(a) ? 'ipv6' : 'ipv4');
      } else if (e.kind === 'subnet') {
        list.addSubnet(e.address!, e.prefix!, e.family);
      } else {
        list.addAddress(e.address!, e.family);
      }
    }
  }

  private portList(port: number): net.BlockList {
    let l = this.withPort.get(port);
    if (!l) {
      l = new net.BlockList();
      this.withPort.set(port, l);
    }
    return l;
  }

  matches(address: string, port?: number): boolean {
    const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    if (this.anyPort.check(address, family)) return true;
    if (port === undefined) return false;
    return this.withPort.get(port)?.check(address, family) ?? false;
  }
}

/** Resolves the host-name entries (A and AAAA); a name that does not resolve resolves to nothing. */
export async function resolveHosts(entries: readonly MatchEntry[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  await Promise.all(
    entries
      .filter((e) => e.kind === 'host')
      .map(async (e) => {
        try {
          out.set(e.host!, (await lookup(e.host!, { all: true })).map((a) => a.address));
        } catch {
          out.set(e.host!, []);
        }
      }),
  );
  return out;
}
