/**
 * identify-by-IP matching (res_pjsip_endpoint_identifier_ip): the `match=` entries, parsed and
 * checked at config load by option-parsers.ts, compiled into Node's net.BlockList (so IPv4/IPv6
 * subnets need no bit arithmetic on the hot path). Host names are resolved when the identify
 * object is applied, as Asterisk resolves them at load. `!` entries are exceptions.
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import type { HostMatch, NetworkMatch } from './option-parsers.js';

export type MatchEntry = NetworkMatch | HostMatch;

class PortedList {
  readonly any = new net.BlockList();
  readonly byPort = new Map<number, net.BlockList>();

  list(port: number | undefined): net.BlockList {
    if (port === undefined) return this.any;
    let l = this.byPort.get(port);
    if (!l) {
      l = new net.BlockList();
      this.byPort.set(port, l);
    }
    return l;
  }

  get portSpecific(): boolean {
    return this.byPort.size > 0;
  }

  check(address: string, family: 'ipv4' | 'ipv6', port?: number): boolean {
    if (this.any.check(address, family)) return true;
    return port !== undefined && (this.byPort.get(port)?.check(address, family) ?? false);
  }
}

/** Answers remembered per address; cleared when full (a sweep of addresses cannot grow it). */
const CACHE_MAX = 4096;

export class IpMatcher {
  private readonly allow = new PortedList();
  private readonly except = new PortedList();
  /**
   * BlockList.check builds a SocketAddress per call, a measurable share of a SUBSCRIBE's CPU when
   * every request is identified; a phone sends from one address, so the answer is remembered
   * (only when no entry names a port, else the port is part of the question).
   */
  private readonly cache = new Map<string, boolean>();
  private cacheable = true;

  constructor(entries: readonly MatchEntry[], resolved: ReadonlyMap<string, string[]> = new Map()) {
    for (const e of entries) {
      if (e.kind === 'host') {
        for (const a of resolved.get(e.host) ?? []) this.allow.list(e.port).addAddress(a, net.isIPv6(a) ? 'ipv6' : 'ipv4');
        continue;
      }
      const target = (e.negate ? this.except : this.allow).list(e.port);
      target.addSubnet(e.address, e.prefix, e.family);
    }
    this.cacheable = !this.allow.portSpecific && !this.except.portSpecific;
  }

  matches(address: string, port?: number): boolean {
    if (this.cacheable) {
      const hit = this.cache.get(address);
      if (hit !== undefined) return hit;
    }
    const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    const yes = this.allow.check(address, family, port) && !this.except.check(address, family, port);
    if (this.cacheable) {
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      this.cache.set(address, yes);
    }
    return yes;
  }
}

/** Resolves the host-name entries (A and AAAA); a name that does not resolve matches nothing. */
export async function resolveHosts(entries: readonly MatchEntry[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  await Promise.all(
    entries
      .filter((e): e is HostMatch => e.kind === 'host')
      .map(async (e) => {
        try {
          out.set(e.host, (await lookup(e.host, { all: true })).map((a) => a.address));
        } catch {
          out.set(e.host, []);
        }
      }),
  );
  return out;
}
