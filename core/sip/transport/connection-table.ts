/**
 * Open connections of one stream transport, found by id (the flow a message came on) and by
 * remote `host:port` (so a later request or response to the same peer reuses the connection,
 * as RFC 3261 18.2.2 and RFC 5923 want instead of opening a second one).
 */

export interface TableConnection {
  readonly id: number;
  /** peerKey(remoteAddress, remotePort) */
  readonly key: string;
  /** Date.now() of the last byte in either direction. */
  lastActivity: number;
  /** Date.now() when the first bytes of a message still incomplete arrived; 0 when none is. */
  messageStartedAt?: number;
}

let lastConnectionId = 0;

/** Process-wide unique connection id, so a (transport, id) pair never needs the transport. */
export function nextConnectionId(): number {
  lastConnectionId = lastConnectionId >= 0x7fffffff ? 1 : lastConnectionId + 1;
  return lastConnectionId;
}

export class ConnectionTable<C extends TableConnection> {
  private readonly byId = new Map<number, C>();
  private readonly byKey = new Map<string, C>();

  get size(): number {
    return this.byId.size;
  }

  add(conn: C): void {
    this.byId.set(conn.id, conn);
    // The newest connection to a peer wins: it is the one most likely to still be usable.
    this.byKey.set(conn.key, conn);
  }

  remove(conn: C): void {
    this.byId.delete(conn.id);
    if (this.byKey.get(conn.key) === conn) {
      this.byKey.delete(conn.key);
      // Another connection to the same peer may still be open: let it take over the key.
      for (const other of this.byId.values()) {
        if (other.key === conn.key) {
          this.byKey.set(other.key, other);
          break;
        }
      }
    }
  }

  get(id: number): C | undefined {
    return this.byId.get(id);
  }

  getByKey(key: string): C | undefined {
    return this.byKey.get(key);
  }

  values(): IterableIterator<C> {
    return this.byId.values();
  }

  /** Connections holding a message started more than `limitMs` before `now`. */
  stalled(now: number, limitMs: number): C[] {
    const out: C[] = [];
    for (const c of this.byId.values()) {
      const started = c.messageStartedAt ?? 0;
      if (started !== 0 && now - started > limitMs) out.push(c);
    }
    return out;
  }

  /** Connections idle for longer than `idleMs` at `now`. */
  idle(now: number, idleMs: number): C[] {
    const out: C[] = [];
    for (const c of this.byId.values()) if (now - c.lastActivity > idleMs) out.push(c);
    return out;
  }
}

/** How often to look for idle connections: often enough to close them close to on time. */
export function sweepInterval(idleTimeoutMs: number): number {
  return Math.max(50, Math.min(5000, Math.floor(idleTimeoutMs / 4)));
}
