/**
 * Raw SIP text for the load generator and the null responder: request templates filled by
 * string concatenation and a header scanner that pulls out only what a subscriber needs.
 * Why not the project's message layer: the generator must stay far below the node's cost per
 * message (benchmarks.md: calibrate the generator, fail above 70 % CPU), and a full parse per
 * datagram would make the generator, not the node, the limit at fan-out rates.
 */

export interface ScannedMessage {
  /** Request method, or '' for a response. */
  method: string;
  /** Response status, or 0 for a request. */
  status: number;
  callId: string;
  cseq: number;
  cseqMethod: string;
  /** The To tag (a response's dialog tag from the notifier). */
  toTag: string;
  /** Raw `Name: value` lines a response to this request must echo (Via, From, To, Call-ID, CSeq). */
  echo: string[];
  /** WWW-Authenticate values (401). */
  challenges: string[];
  subscriptionState: string;
  /** Contact URI of a request (the null responder sends its NOTIFY there). */
  contact: string;
  /** Request-URI of a request. */
  requestUri: string;
  /** The header section as received (for headers not scanned above). */
  raw: string;
  body: string;
}

const COMPACT: Record<string, string> = { i: 'call-id', v: 'via', f: 'from', t: 'to', m: 'contact' };
const ECHOED = new Set(['via', 'from', 'to', 'call-id', 'cseq']);

function tagOf(value: string): string {
  const m = /;\s*tag=([^;>\s]+)/i.exec(value);
  return m ? m[1]! : '';
}

/** Returns null for anything that is not a SIP message we can use (keep-alives, garbage). */
export function scanMessage(buf: Buffer): ScannedMessage | null {
  const text = buf.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = text.slice(0, end);
  const lines = head.split('\r\n');
  const first = lines[0]!;
  const msg: ScannedMessage = {
    method: '',
    status: 0,
    callId: '',
    cseq: 0,
    cseqMethod: '',
    toTag: '',
    echo: [],
    challenges: [],
    subscriptionState: '',
    contact: '',
    requestUri: '',
    raw: head,
    body: text.slice(end + 4),
  };
  if (first.startsWith('SIP/2.0 ')) {
    msg.status = Number.parseInt(first.slice(8, 11), 10);
  } else {
    const sp = first.indexOf(' ');
    if (sp <= 0) return null;
    msg.method = first.slice(0, sp);
    msg.requestUri = first.slice(sp + 1, first.lastIndexOf(' '));
  }
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    let name = line.slice(0, colon).trim().toLowerCase();
    name = COMPACT[name] ?? name;
    if (ECHOED.has(name)) msg.echo.push(line);
    switch (name) {
      case 'call-id':
        msg.callId = line.slice(colon + 1).trim();
        break;
      case 'cseq': {
        const v = line.slice(colon + 1).trim();
        const sp = v.indexOf(' ');
        msg.cseq = Number.parseInt(v.slice(0, sp), 10);
        msg.cseqMethod = v.slice(sp + 1).trim();
        break;
      }
      case 'to':
        msg.toTag = tagOf(line.slice(colon + 1));
        break;
      case 'www-authenticate':
        msg.challenges.push(line.slice(colon + 1).trim());
        break;
      case 'subscription-state':
        msg.subscriptionState = line.slice(colon + 1).trim();
        break;
      case 'contact': {
        const v = line.slice(colon + 1);
        const lt = v.indexOf('<');
        msg.contact = lt >= 0 ? v.slice(lt + 1, v.indexOf('>', lt)) : v.trim().split(';')[0]!;
        break;
      }
      default:
        break;
    }
  }
  if (msg.callId === '' || msg.cseq === 0) return null;
  return msg;
}

/** `200 OK` (or another status) echoing the request's dialog headers. */
export function responseTo(msg: ScannedMessage, status = 200, reason = 'OK', extra = ''): string {
  return `SIP/2.0 ${status} ${reason}\r\n${msg.echo.join('\r\n')}\r\n${extra}Content-Length: 0\r\n\r\n`;
}

export interface SubscribeFields {
  exten: string;
  serverHost: string;
  serverPort: number;
  localHost: string;
  localPort: number;
  user: string;
  fromTag: string;
  callId: string;
  cseq: number;
  branch: string;
  event: string;
  accept: string;
  expires: number;
  authorization?: string;
}

export function subscribeText(f: SubscribeFields): string {
  const ruri = `sip:${f.exten}@${f.serverHost}:${f.serverPort}`;
  return (
    `SUBSCRIBE ${ruri} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP ${f.localHost}:${f.localPort};rport;branch=z9hG4bK${f.branch}\r\n` +
    'Max-Forwards: 70\r\n' +
    `From: <sip:${f.user}@${f.localHost}>;tag=${f.fromTag}\r\n` +
    `To: <${ruri}>\r\n` +
    `Call-ID: ${f.callId}\r\n` +
    `CSeq: ${f.cseq} SUBSCRIBE\r\n` +
    `Contact: <sip:${f.user}@${f.localHost}:${f.localPort}>\r\n` +
    `Event: ${f.event}\r\n` +
    `Accept: ${f.accept}\r\n` +
    `Expires: ${f.expires}\r\n` +
    'User-Agent: presbench\r\n' +
    (f.authorization !== undefined ? `Authorization: ${f.authorization}\r\n` : '') +
    'Content-Length: 0\r\n\r\n'
  );
}

export function optionsText(serverHost: string, serverPort: number, localHost: string, localPort: number, callId: string, branch: string): string {
  return (
    `OPTIONS sip:${serverHost}:${serverPort} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP ${localHost}:${localPort};rport;branch=z9hG4bK${branch}\r\n` +
    'Max-Forwards: 70\r\n' +
    `From: <sip:probe@${localHost}>;tag=p${branch}\r\n` +
    `To: <sip:${serverHost}:${serverPort}>\r\n` +
    `Call-ID: ${callId}\r\n` +
    'CSeq: 1 OPTIONS\r\n' +
    'Content-Length: 0\r\n\r\n'
  );
}

/** Shortest strings that are still unique within a run: the generator's Call-IDs and branches. */
export function uniquePrefix(): string {
  return `${process.pid.toString(36)}${Date.now().toString(36)}`;
}
