/**
 * What res_pjsip_logger logs: nothing, every message, or only the messages of some hosts.
 * pjsip.conf `[global] debug` sets it at load and on every reload (`yes`, `no`, or a host list,
 * as Asterisk's pjsip_reload_debug reads it); `pjsip set logger on|off` changes it until then.
 * Hosts are matched by their literal address (Asterisk also resolves names; we do not, so a
 * host name here logs nothing until it is written as an address).
 */
import type { SourceInfo } from '../../core/sip/transport/types.js';

const YES = new Set(['yes', 'true', 'y', 't', '1', 'on']);
const NO = new Set(['no', 'false', 'n', 'f', '0', 'off']);

export class PjsipLogger {
  private mode: 'off' | 'all' | ReadonlySet<string> = 'off';

  /** `changed` runs after every change: the stack drops its message hook while logging is off. */
  constructor(private readonly changed: () => void = () => undefined) {}

  get enabled(): boolean {
    return this.mode !== 'off';
  }

  /** `pjsip set logger on|off`. */
  set(on: boolean): void {
    this.mode = on ? 'all' : 'off';
    this.changed();
  }

  /** `[global] debug`: yes, no, or comma-separated hosts. */
  applyDebugOption(value: string): void {
    const v = value.trim().toLowerCase();
    if (YES.has(v)) this.mode = 'all';
    else if (NO.has(v) || v === '') this.mode = 'off';
    else this.mode = new Set(v.split(',').map((h) => h.trim().replace(/^\[(.*)\]$/, '$1')).filter((h) => h !== ''));
    this.changed();
  }

  wants(peer: SourceInfo): boolean {
    const m = this.mode;
    if (m === 'off') return false;
    if (m === 'all') return true;
    return m.has(peer.remoteAddress.toLowerCase());
  }
}
