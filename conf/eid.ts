/**
 * Entity IDs (EIDs): the 6-byte, MAC-shaped identity a node stamps on the state it shares with
 * other nodes (Asterisk's `struct ast_eid`). Written `xx:xx:xx:xx:xx:xx` in lower case, as
 * `ast_eid_to_str()` prints it.
 *
 * Default EID, as `ast_set_default_eid()` (main/utils.c) picks it: the hardware address of the
 * first network interface whose address is neither all zeros nor all ones; the loopback interface
 * has an all-zero address and so never qualifies. Node lists only interfaces that have an address,
 * as the SIOCGIFCONF walk in Asterisk does. When nothing qualifies Asterisk leaves the EID all
 * zeros and asks the admin to set one; here a random, locally administered unicast EID is made
 * instead so two such nodes never collide, and the caller reports it.
 */
import crypto from 'node:crypto';
import os from 'node:os';

/** 6 groups of 1–2 hex digits. Asterisk's `ast_str_to_eid()` takes `:`; `-` (as Windows prints MACs) is accepted too. */
const EID_RE = /^([0-9a-f]{1,2})([:-])([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})$/i;

/** `0:11:22:33:44:5` or `00-11-22-33-44-55` → `00:11:22:33:44:05`; undefined when not an EID. */
export function parseEid(s: string): string | undefined {
  const m = EID_RE.exec(s.trim());
  if (!m) return undefined;
  const bytes = [m[1], m[3], m[4], m[5], m[6], m[7]].map((h) => parseInt(h, 16));
  return formatEid(bytes);
}

/** Six bytes as `xx:xx:xx:xx:xx:xx`. */
export function formatEid(bytes: ArrayLike<number>): string {
  if (bytes.length !== 6) throw new RangeError(`an EID has 6 bytes, not ${bytes.length}`);
  return Array.from(bytes, (b) => (b & 0xff).toString(16).padStart(2, '0')).join(':');
}

/** A random EID with the locally-administered bit set and the multicast bit clear. */
export function randomEid(): string {
  const b = crypto.randomBytes(6);
  b[0] = (b[0] & 0xfc) | 0x02;
  return formatEid(b);
}

export type InterfaceList = NodeJS.Dict<os.NetworkInterfaceInfo[]>;

export interface DefaultEid {
  eid: string;
  source: 'mac' | 'random';
  /** The interface the MAC came from. */
  interfaceName?: string;
}

const ALL_ZERO = '00:00:00:00:00:00';
const ALL_ONES = 'ff:ff:ff:ff:ff:ff';

/** The EID Asterisk would derive from this machine's interfaces, or a random one. */
export function defaultEid(interfaces: InterfaceList = os.networkInterfaces()): DefaultEid {
  for (const [name, infos] of Object.entries(interfaces)) {
    for (const info of infos ?? []) {
      if (info.internal) continue;
      const mac = parseEid(info.mac);
      if (mac === undefined || mac === ALL_ZERO || mac === ALL_ONES) continue;
      return { eid: mac, source: 'mac', interfaceName: name };
    }
  }
  return { eid: randomEid(), source: 'random' };
}
