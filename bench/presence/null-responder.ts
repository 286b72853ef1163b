/**
 * The null responder the load client is calibrated against (benchmarks.md: calibrate the
 * generator first): a child process with one UDP socket that answers a SUBSCRIBE 200 and sends
 * one NOTIFY with a fixed PIDF body, answers OPTIONS 200, and on a `FANOUT` datagram sends a
 * NOTIFY to every dialog it holds. No transactions, no retransmissions, no state beyond the
 * dialogs: whatever rate the load client reaches against it is the generator's ceiling on this
 * machine. `FANOUT <n>` notifies the last n dialogs (those of the fan-out group: the earlier
 * calibration steps left theirs). Prints its port as one JSON line on stdout.
 */
import dgram from 'node:dgram';
import { pathToFileURL } from 'node:url';
import { responseTo, scanMessage } from './sip-text.js';

const BODY =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<presence entity="sip:0@127.0.0.1" xmlns="urn:ietf:params:xml:ns:pidf">\n' +
  ' <note>Ready</note>\n <tuple id="0">\n  <status>\n   <basic>open</basic>\n  </status>\n </tuple>\n</presence>\n';

interface NullDialog {
  callId: string;
  from: string;
  to: string;
  contactHost: string;
  contactPort: number;
  cseq: number;
}

export async function runNullResponder(): Promise<void> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  sock.setRecvBufferSize(4 << 20);
  sock.setSendBufferSize(4 << 20);
  const port = sock.address().port;
  const dialogs: NullDialog[] = [];
  let tagSerial = 0;
  let branchSerial = 0;

  const sendNotify = (d: NullDialog): void => {
    d.cseq++;
    const text =
      `NOTIFY sip:w@${d.contactHost}:${d.contactPort} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:${port};rport;branch=z9hG4bKnull${branchSerial++}\r\n` +
      `From: ${d.to}\r\n` +
      `To: ${d.from}\r\n` +
      `Call-ID: ${d.callId}\r\n` +
      `CSeq: ${d.cseq} NOTIFY\r\n` +
      `Contact: <sip:127.0.0.1:${port}>\r\n` +
      'Max-Forwards: 70\r\n' +
      'Event: presence\r\n' +
      'Subscription-State: active;expires=600\r\n' +
      'Content-Type: application/pidf+xml\r\n' +
      `Content-Length: ${BODY.length}\r\n\r\n${BODY}`;
    sock.send(text, d.contactPort, d.contactHost);
  };

  sock.on('message', (buf, rinfo) => {
    if (buf.length < 16 && buf.toString('latin1').startsWith('FANOUT ')) {
      const n = Number(buf.toString('latin1').slice(7));
      for (let i = Math.max(0, dialogs.length - n); i < dialogs.length; i++) sendNotify(dialogs[i]!);
      return;
    }
    const m = scanMessage(buf);
    if (m === null || m.method === '') return;
    if (m.method === 'SUBSCRIBE') {
      const tag = `n${tagSerial++}`;
      const echo = m.echo.map((l) => (/^(to|t)\s*:/i.test(l) ? `${l};tag=${tag}` : l));
      sock.send(responseTo({ ...m, echo }, 200, 'OK', `Expires: 600\r\nContact: <sip:127.0.0.1:${port}>\r\n`), rinfo.port, rinfo.address);
      const header = (name: RegExp): string => {
        const line = echo.find((l) => name.test(l)) ?? '';
        return line.slice(line.indexOf(':') + 1).trim();
      };
      const contact = /^sip:[^@]*@([^:;>]+):(\d+)/.exec(m.contact);
      const d: NullDialog = {
        callId: m.callId,
        from: header(/^(from|f)\s*:/i),
        to: header(/^(to|t)\s*:/i),
        contactHost: contact ? contact[1]! : rinfo.address,
        contactPort: contact ? Number(contact[2]) : rinfo.port,
        cseq: 0,
      };
      dialogs.push(d);
      sendNotify(d);
      return;
    }
    sock.send(responseTo(m), rinfo.port, rinfo.address);
  });
  process.stdout.write(`${JSON.stringify({ port })}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runNullResponder();
}
