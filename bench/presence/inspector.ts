/**
 * A minimal V8 inspector client (Chrome DevTools Protocol over WebSocket) for the node under
 * test, started with `--inspect=127.0.0.1:0`. The benchmark uses it for two things nothing
 * else shows from outside the process: a full garbage collection before memory is read (so
 * garbage waiting for the next GC does not count as held), and the JS heap actually in use.
 */
import WebSocket from 'ws';

export class InspectorSession {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (msg.id === undefined) return;
      const w = this.waiting.get(msg.id);
      if (w === undefined) return;
      this.waiting.delete(msg.id);
      if (msg.error !== undefined) w.reject(new Error(msg.error.message));
      else w.resolve(msg.result);
    });
  }

  static connect(url: string): Promise<InspectorSession> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new InspectorSession(ws)));
      ws.once('error', reject);
    });
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Full GC, then the heap in use and allocated (bytes). */
  async heapAfterGc(): Promise<{ used: number; total: number }> {
    await this.call('HeapProfiler.collectGarbage');
    const r = (await this.call('Runtime.getHeapUsage')) as { usedSize: number; totalSize: number };
    return { used: r.usedSize, total: r.totalSize };
  }

  close(): void {
    this.ws.close();
  }
}
