/**
 * SIP over TLS (RFC 3261 26.2): certificate, key and CA list come from the files named in
 * pjsip.conf (`cert_file`, `priv_key_file`, `ca_list_file`), read once when the transport
 * starts. `verify_client` asks for and checks a client certificate; `verify_server` checks the
 * peer's certificate on connections we open (both off by default, as in Asterisk).
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { TstError, errorMessage } from '../../errors.js';
import { StreamTransport } from './stream-transport.js';
import type { SendTarget, StreamTransportOptions, TlsFiles } from './types.js';

/** A TLS handshake that has not finished after this long is abandoned. */
const HANDSHAKE_TIMEOUT_MS = 10000;

interface LoadedTls {
  cert?: Buffer;
  key?: Buffer;
  ca?: Buffer;
}

export function loadTlsFiles(name: string, files: TlsFiles, needServerCert: boolean): LoadedTls {
  const read = (what: string, file: string | undefined): Buffer | undefined => {
    if (file === undefined || file === '') return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new TstError('TST_ERR_SIP_TRANSPORT', `Transport '${name}': cannot read ${what} '${file}': ${errorMessage(err)}`, { cause: err });
    }
  };
  const out: LoadedTls = {};
  const cert = read('cert_file', files.certFile);
  const key = read('priv_key_file', files.privKeyFile);
  const ca = read('ca_list_file', files.caListFile);
  if (cert !== undefined) out.cert = cert;
  if (key !== undefined) out.key = key;
  if (ca !== undefined) out.ca = ca;
  if (needServerCert && (cert === undefined || key === undefined)) {
    throw new TstError('TST_ERR_SIP_TRANSPORT', `Transport '${name}': a TLS transport needs cert_file and priv_key_file`);
  }
  return out;
}

export class TlsTransport extends StreamTransport {
  readonly protocol = 'tls' as const;
  protected readonly acceptEvent = 'secureConnection';
  protected readonly connectEvent = 'secureConnect';
  private readonly files: TlsFiles;
  private loaded: LoadedTls = {};

  constructor(opts: StreamTransportOptions & { readonly tls: TlsFiles }) {
    super(opts);
    this.files = opts.tls;
  }

  protected createServer(): net.Server {
    this.loaded = loadTlsFiles(this.name, this.files, true);
    const verify = this.files.verifyClient === true;
    const server = tls.createServer({
      ...this.loaded,
      requestCert: verify,
      rejectUnauthorized: verify,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    });
    server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
      this.listener.onTransportEvent({
        type: 'error',
        transport: this.name,
        remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
        error: `TLS handshake: ${err.message}`,
      });
    });
    return server;
  }

  protected openSocket(target: SendTarget, localAddress: string | undefined): net.Socket {
    const serverName = target.serverName ?? (net.isIP(target.host) === 0 ? target.host : undefined);
    return tls.connect({
      host: target.host,
      port: target.port,
      ...(localAddress !== undefined ? { localAddress } : {}),
      ...(serverName !== undefined ? { servername: serverName } : {}),
      ...(this.loaded.ca !== undefined ? { ca: this.loaded.ca } : {}),
      ...(this.loaded.cert !== undefined && this.loaded.key !== undefined ? { cert: this.loaded.cert, key: this.loaded.key } : {}),
      rejectUnauthorized: this.files.verifyServer === true,
    });
  }
}
