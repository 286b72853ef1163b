/**
 * SIP over UDP (RFC 3261 18): one datagram is one message. The socket's receive buffer can be
 * enlarged (pjsip.conf has no such option; ours is `recvBufferSize`) because a burst of
 * SUBSCRIBEs from phones booting together otherwise overflows the kernel default and shows up
 * as RcvbufErrors rather than as anything the stack can see.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { TstError, errorMessage } from '../../errors.js';
import { formatHostPort } from './bind-address.js';
import type {
  BoundAddress,
  SendErrorCallback,
  SendTarget,
  SourceInfo,
  Transport,
  TransportListener,
  TransportOptions,
} from './types.js';
import { normalizeAddress } from './types.js';

export interface UdpTransportOptions extends TransportOptions {
  /** SO_RCVBUF in bytes; undefined keeps the OS default. */
  readonly recvBufferSize?: number;
  /** SO_SNDBUF in bytes; undefined keeps the OS default. */
  readonly sendBufferSize?: number;
  /**
   * Datagrams libuv may hold when the kernel buffer is full before sends fail (default
   * 10000): node would otherwise queue without bound under overload.
   */
  readonly maxSendQueue?: number;
}

export class UdpTransport implements Transport {
  readonly name: string;
  readonly protocol = 'udp' as const;
  readonly reliable = false;
  readonly connectionCount = 0;
  private readonly opts: UdpTransportOptions;
  private readonly listener: TransportListener;
  private socket: dgram.Socket | null = null;
  private bound: BoundAddress;
  /** Receive buffer size the kernel reports after setting it (Linux doubles the request). */
  recvBufferSize = 0;
  private readonly maxSendQueue: number;

  constructor(opts: UdpTransportOptions) {
    this.name = opts.name;
    this.maxSendQueue = opts.maxSendQueue ?? 10000;
    this.opts = opts;
    this.listener = opts.listener;
    this.bound = { address: opts.host, port: opts.port };
  }

  get local(): BoundAddress {
    return this.bound;
  }

  listen(): Promise<BoundAddress> {
    const family = isIP(this.opts.host) === 6 ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({ type: family, reuseAddr: false, ipv6Only: family === 'udp6' });
    this.socket = socket;
    return new Promise<BoundAddress>((resolve, reject) => {
      const onError = (err: Error): void => {
        socket.close();
        this.socket = null;
        reject(
          new TstError(
            'TST_ERR_SIP_TRANSPORT',
            `Transport '${this.name}' failed to bind UDP ${formatHostPort(this.opts.host, this.opts.port)}: ${err.message}`,
            { cause: err },
          ),
        );
      };
      socket.once('error', onError);
      socket.bind({ address: this.opts.host, port: this.opts.port, exclusive: true }, () => {
        socket.removeListener('error', onError);
        this.applyBufferSizes(socket);
        const a = socket.address();
        this.bound = { address: normalizeAddress(a.address), port: a.port };
        this.attach(socket);
        resolve(this.bound);
      });
    });
  }

  private applyBufferSizes(socket: dgram.Socket): void {
    const { recvBufferSize, sendBufferSize } = this.opts;
    try {
      if (recvBufferSize !== undefined && recvBufferSize > 0) socket.setRecvBufferSize(recvBufferSize);
      if (sendBufferSize !== undefined && sendBufferSize > 0) socket.setSendBufferSize(sendBufferSize);
    } catch (err) {
      this.listener.onTransportEvent({ type: 'error', transport: this.name, remote: '', error: `buffer size: ${errorMessage(err)}` });
    }
    try {
      this.recvBufferSize = socket.getRecvBufferSize();
    } catch {
      this.recvBufferSize = 0;
    }
  }

  private attach(socket: dgram.Socket): void {
    const name = this.name;
    const localAddress = this.bound.address;
    const localPort = this.bound.port;
    const listener = this.listener;
    socket.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => {
      const source: SourceInfo = {
        protocol: 'udp',
        transport: name,
        localAddress,
        localPort,
        remoteAddress: normalizeAddress(rinfo.address),
        remotePort: rinfo.port,
        connectionId: 0,
      };
      listener.onMessage(msg, source);
    });
    // ICMP errors (port unreachable) surface here on some platforms; a datagram socket stays usable.
    socket.on('error', (err: Error) => {
      listener.onTransportEvent({ type: 'error', transport: name, remote: '', error: err.message });
    });
  }

  send(buf: Buffer, target: SendTarget, onError?: SendErrorCallback): void {
    const socket = this.socket;
    if (socket === null) {
      if (onError) queueMicrotask(() => onError(new TstError('TST_ERR_SIP_TRANSPORT', `Transport '${this.name}' is closed`)));
      return;
    }
    if (socket.getSendQueueCount() >= this.maxSendQueue) {
      if (onError) queueMicrotask(() => onError(new TstError('TST_ERR_SIP_TRANSPORT', `Transport '${this.name}': send queue full`)));
      return;
    }
    try {
      if (onError === undefined) socket.send(buf, target.port, target.host);
      else socket.send(buf, target.port, target.host, (err) => {
        if (err) onError(err);
      });
    } catch (err) {
      // A closed socket throws synchronously; report it the same way as an asynchronous failure.
      if (onError) {
        const e = err instanceof Error ? err : new Error(String(err));
        queueMicrotask(() => onError(e));
      }
    }
  }

  hasConnection(): boolean {
    return false;
  }

  closeConnection(): void {
    // datagrams: nothing to close
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (socket === null) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }
}
