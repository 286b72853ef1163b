/** SIP over TCP (RFC 3261 18): stream framing and connection reuse come from StreamTransport. */
import net from 'node:net';
import { StreamTransport } from './stream-transport.js';
import type { SendTarget } from './types.js';

export class TcpTransport extends StreamTransport {
  readonly protocol = 'tcp' as const;
  protected readonly acceptEvent = 'connection';
  protected readonly connectEvent = 'connect';

  protected createServer(): net.Server {
    return net.createServer({ noDelay: true });
  }

  protected openSocket(target: SendTarget, localAddress: string | undefined): net.Socket {
    return net.connect({ host: target.host, port: target.port, ...(localAddress !== undefined ? { localAddress } : {}) });
  }
}
