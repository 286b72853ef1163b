/**
 * The mutation operators: each takes a message (a latin1 string, so every byte survives) and
 * returns a damaged one. Byte flips, truncation, header lines duplicated/deleted/swapped,
 * garbage and huge values, Content-Length lies, CRLF->LF, NULs, overlong lines, random and
 * lowercase methods, broken Via/From/To/CSeq/Call-ID, unbalanced quotes and <>, comma floods,
 * random UTF-8 (valid and not), splicing two messages, start-line and header-name damage,
 * folding, too many headers, bodies, Authorization and REGISTER fields, Max-Forwards.
 */
import type { Rng } from './rng.js';

// ---------------------------------------------------------------------------------------------
// Loose message structure (never validated: the point is to send what a parser must refuse)

interface Parts {
  start: string;
  headers: string[];
  body: string;
}

function split(msg: string): Parts {
  let end = msg.indexOf('\r\n\r\n');
  let sepLen = 4;
  if (end === -1) {
    end = msg.indexOf('\n\n');
    sepLen = 2;
  }
  const head = end === -1 ? msg : msg.slice(0, end);
  const body = end === -1 ? '' : msg.slice(end + sepLen);
  const lines = head.split(/\r?\n/);
  return { start: lines[0] ?? '', headers: lines.slice(1), body };
}

function join(p: Parts): string {
  return `${[p.start, ...p.headers].join('\r\n')}\r\n\r\n${p.body}`;
}

const COMPACT: Record<string, string> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  l: 'content-length',
  m: 'contact',
  c: 'content-type',
  k: 'supported',
  o: 'event',
  e: 'content-encoding',
  s: 'subject',
};

function headerName(line: string): string {
  const colon = line.indexOf(':');
  const name = (colon === -1 ? line : line.slice(0, colon)).trim().toLowerCase();
  return COMPACT[name] ?? name;
}

function headerValue(line: string): string {
  const colon = line.indexOf(':');
  return colon === -1 ? '' : line.slice(colon + 1).trim();
}

function indicesOf(p: Parts, name: string): number[] {
  const out: number[] = [];
  p.headers.forEach((h, i) => {
    if (headerName(h) === name) out.push(i);
  });
  return out;
}

/** Replace the value of one `name` header (a random one when repeated), or add it. */
function setHeader(rng: Rng, p: Parts, name: string, value: string, wireName = name): void {
  const idx = indicesOf(p, name.toLowerCase());
  if (idx.length === 0) {
    p.headers.splice(rng.int(p.headers.length + 1), 0, `${wireName}: ${value}`);
    return;
  }
  const i = rng.pick(idx);
  const line = p.headers[i]!;
  const colon = line.indexOf(':');
  p.headers[i] = `${colon === -1 ? wireName : line.slice(0, colon)}: ${value}`;
}

function isRequest(p: Parts): boolean {
  return !p.start.startsWith('SIP/');
}

// ---------------------------------------------------------------------------------------------
// Byte material

const PRINTABLE = ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~';
const TOKEN = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~';
const INTERESTING_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x3a, 0x20, 0x09, 0x0d, 0x0a, 0x2c, 0x3b, 0x22, 0x3c, 0x3e, 0x40, 0x25, 0x5c, 0x3d];

function randomString(rng: Rng, n: number, alphabet: string): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
}

function randomBytes(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(rng.int(256));
  return s;
}

/** UTF-8 as latin1 characters: valid scalars, and the invalid sequences decoders must survive. */
function randomUtf8(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    switch (rng.int(8)) {
      case 0:
        s += '\x80'; // lone continuation byte
        break;
      case 1:
        s += '\xc0\x80'; // overlong NUL
        break;
      case 2:
        s += '\xed\xa0\x80'; // encoded surrogate
        break;
      case 3:
        s += rng.pick(['\xf5\x80\x80\x80', '\xf4\x90\x80\x80', '\xfe', '\xff', '\xe2\x82']); // beyond U+10FFFF, truncated
        break;
      default: {
        const cp = rng.pick([rng.range(0x80, 0x7ff), rng.range(0x800, 0xd7ff), rng.range(0xe000, 0xfffd), rng.range(0x10000, 0x10ffff), 0xfeff, 0x202e, 0x2028]);
        s += Buffer.from(String.fromCodePoint(cp), 'utf8').toString('latin1');
      }
    }
  }
  return s;
}

function insertAt(s: string, pos: number, what: string): string {
  return s.slice(0, pos) + what + s.slice(pos);
}

// ---------------------------------------------------------------------------------------------
// Operators

export interface MutationContext {
  /** Other messages of the corpus (for splicing). */
  readonly corpus: readonly string[];
}

export interface MutationOperator {
  readonly name: string;
  readonly weight: number;
  apply(rng: Rng, msg: string, ctx: MutationContext): string;
}

const METHODS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE'];

function onParts(fn: (rng: Rng, p: Parts, ctx: MutationContext) => void): (rng: Rng, msg: string, ctx: MutationContext) => string {
  return (rng, msg, ctx) => {
    const p = split(msg);
    fn(rng, p, ctx);
    return join(p);
  };
}

const bitFlip: MutationOperator = {
  name: 'bit-flip',
  weight: 6,
  apply(rng, msg) {
    if (msg.length === 0) return msg;
    const chars = msg.split('');
    const n = rng.range(1, 16);
    for (let k = 0; k < n; k++) {
      const i = rng.int(chars.length);
      chars[i] = String.fromCharCode(chars[i]!.charCodeAt(0) ^ (1 << rng.int(8)));
    }
    return chars.join('');
  },
};

const byteSet: MutationOperator = {
  name: 'byte-set',
  weight: 5,
  apply(rng, msg) {
    if (msg.length === 0) return msg;
    const chars = msg.split('');
    const n = rng.range(1, 8);
    for (let k = 0; k < n; k++) chars[rng.int(chars.length)] = String.fromCharCode(rng.pick(INTERESTING_BYTES));
    return chars.join('');
  },
};

const truncate: MutationOperator = {
  name: 'truncate',
  weight: 4,
  apply(rng, msg) {
    const headEnd = msg.indexOf('\r\n\r\n');
    const pos = rng.chance(0.3) && headEnd > 0 ? headEnd + rng.range(-3, 3) : rng.int(msg.length);
    return msg.slice(0, Math.max(0, pos));
  },
};

const dupHeader: MutationOperator = {
  name: 'dup-header',
  weight: 4,
  apply: onParts((rng, p) => {
    if (p.headers.length === 0) return;
    const i = rng.int(p.headers.length);
    const n = rng.chance(0.1) ? rng.range(50, 300) : rng.range(1, 5);
    p.headers.splice(i, 0, ...Array<string>(n).fill(p.headers[i]!));
  }),
};

const MANDATORY = ['via', 'from', 'to', 'call-id', 'cseq', 'content-length', 'max-forwards', 'contact', 'event', 'content-type'];

const deleteHeader: MutationOperator = {
  name: 'delete-header',
  weight: 4,
  apply: onParts((rng, p) => {
    if (p.headers.length === 0) return;
    if (rng.chance(0.6)) {
      const idx = indicesOf(p, rng.pick(MANDATORY));
      for (const i of idx.reverse()) p.headers.splice(i, 1);
      return;
    }
    const n = rng.range(1, 3);
    for (let k = 0; k < n && p.headers.length > 0; k++) p.headers.splice(rng.int(p.headers.length), 1);
  }),
};

const swapHeaders: MutationOperator = {
  name: 'swap-headers',
  weight: 3,
  apply: onParts((rng, p) => {
    if (rng.chance(0.15) && p.headers.length > 0) {
      // the start line among the headers
      const i = rng.int(p.headers.length);
      const h = p.headers[i]!;
      p.headers[i] = p.start;
      p.start = h;
      return;
    }
    if (p.headers.length < 2) return;
    const i = rng.int(p.headers.length);
    const j = rng.int(p.headers.length);
    const t = p.headers[i]!;
    p.headers[i] = p.headers[j]!;
    p.headers[j] = t;
  }),
};

const garbageValue: MutationOperator = {
  name: 'garbage-value',
  weight: 5,
  apply: onParts((rng, p) => {
    if (p.headers.length === 0) return;
    const i = rng.chance(0.5) ? rng.pick(indicesOf(p, rng.pick(MANDATORY)).concat([rng.int(p.headers.length)])) : rng.int(p.headers.length);
    const line = p.headers[i]!;
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    const n = rng.size(300);
    const value = rng.pick([() => randomBytes(rng, n), () => randomString(rng, n, PRINTABLE), () => randomUtf8(rng, n), () => ''])();
    p.headers[i] = `${name}:${rng.chance(0.5) ? ' ' : ''}${value}`;
  }),
};

const hugeValue: MutationOperator = {
  name: 'huge-value',
  weight: 3,
  apply: onParts((rng, p) => {
    const n = rng.range(1000, 70000);
    const fill = rng.chance(0.5) ? rng.pick(['a', '0', ' ', ';', ',', '"', '<', '%', '\\']).repeat(n) : randomString(rng, n, TOKEN);
    if (rng.chance(0.2)) {
      p.headers.splice(rng.int(p.headers.length + 1), 0, `${fill.slice(0, rng.range(100, 9000))}: x`);
      return;
    }
    const name = rng.pick(['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'User-Agent', 'Subject', 'Event', 'Authorization', 'X-Fuzz']);
    setHeader(rng, p, name, rng.chance(0.5) ? fill : `${headerValue(p.headers[indicesOf(p, name.toLowerCase())[0] ?? -1] ?? '')}${fill}`);
  }),
};

const contentLength: MutationOperator = {
  name: 'content-length',
  weight: 6,
  apply: onParts((rng, p) => {
    const actual = p.body.length;
    const value = rng.pick([
      () => String(Math.max(0, actual + rng.range(-100, 100))),
      () => String(actual + 1),
      () => String(Math.max(0, actual - 1)),
      () => '0',
      () => String(rng.range(1, 70000)),
      () => '2147483648',
      () => '4294967297',
      () => '99999999999999999999999',
      () => '1e30',
      () => '-1',
      () => String(-rng.range(1, 1 << 20)),
      () => 'abc',
      () => '',
      () => '0x10',
      () => `${actual} ${actual}`,
      () => ` ${actual} `,
      () => `+${actual}`,
      () => `${actual}.5`,
      () => `${actual}, ${actual + 10}`,
      () => 'NaN',
      () => 'Infinity',
    ])();
    if (rng.chance(0.15)) {
      // two conflicting Content-Lengths, one of them compact
      p.headers.push(`${rng.pick(['Content-Length', 'l', 'content-length', 'L'])}: ${value}`);
      return;
    }
    if (rng.chance(0.1)) {
      for (const i of indicesOf(p, 'content-length').reverse()) p.headers.splice(i, 1);
      return;
    }
    setHeader(rng, p, 'content-length', value, 'Content-Length');
  }),
};

const lineEndings: MutationOperator = {
  name: 'crlf-to-lf',
  weight: 4,
  apply(rng, msg) {
    switch (rng.int(5)) {
      case 0:
        return msg.replace(/\r\n/g, '\n');
      case 1:
        return msg.replace(/\r\n/g, '\r');
      case 2:
        return msg.replace(/\r\n/g, () => (rng.chance(0.5) ? '\n' : '\r\n'));
      case 3:
        return msg.replace(/\r\n/g, '\n\r');
      default: {
        // only the blank line
        const i = msg.indexOf('\r\n\r\n');
        return i === -1 ? msg : `${msg.slice(0, i)}\n\n${msg.slice(i + 4)}`;
      }
    }
  },
};

const nulBytes: MutationOperator = {
  name: 'nul-bytes',
  weight: 3,
  apply(rng, msg) {
    let s = msg;
    const n = rng.range(1, 10);
    for (let k = 0; k < n; k++) {
      const pos = rng.int(s.length + 1);
      s = rng.chance(0.5) ? insertAt(s, pos, '\0') : s.slice(0, pos) + '\0' + s.slice(pos + 1);
    }
    return s;
  },
};

const overlongLine: MutationOperator = {
  name: 'overlong-line',
  weight: 3,
  apply: onParts((rng, p) => {
    const n = rng.pick([8191, 8192, 8193, rng.range(9000, 70000), rng.range(1000, 8000)]);
    switch (rng.int(3)) {
      case 0: {
        // overlong Request-URI
        const parts = p.start.split(' ');
        if (parts.length >= 2) parts[1] = `sip:${'a'.repeat(n)}@127.0.0.1`;
        p.start = parts.join(' ');
        return;
      }
      case 1:
        p.headers.splice(rng.int(p.headers.length + 1), 0, `X-Long: ${'x'.repeat(n)}`);
        return;
      default:
        p.start = p.start + ' '.repeat(n);
    }
  }),
};

const randomMethod: MutationOperator = {
  name: 'random-method',
  weight: 4,
  apply: onParts((rng, p) => {
    const m = rng.pick([
      () => rng.pick(METHODS),
      () => randomString(rng, rng.range(1, 20), TOKEN),
      () => randomBytes(rng, rng.range(1, 10)),
      () => '',
      () => 'SIP/2.0',
      () => 'GET',
      () => 'A'.repeat(rng.range(100, 5000)),
    ])();
    const sp = p.start.indexOf(' ');
    p.start = sp === -1 ? `${m} ${p.start}` : `${m}${p.start.slice(sp)}`;
    if (rng.chance(0.5)) {
      const i = indicesOf(p, 'cseq')[0];
      if (i !== undefined) {
        const n = /^\S+:\s*(\d+)/.exec(p.headers[i]!)?.[1] ?? '1';
        p.headers[i] = `CSeq: ${n} ${m}`;
      }
    }
  }),
};

const lowercaseMethod: MutationOperator = {
  name: 'lowercase-method',
  weight: 2,
  apply: onParts((rng, p) => {
    const sp = p.start.indexOf(' ');
    if (sp === -1) return;
    const method = p.start.slice(0, sp);
    const lower = rng.chance(0.7) ? method.toLowerCase() : method.charAt(0) + method.slice(1).toLowerCase();
    p.start = lower + p.start.slice(sp);
    if (rng.chance(0.5)) {
      const i = indicesOf(p, 'cseq')[0];
      if (i !== undefined) p.headers[i] = p.headers[i]!.replace(method, lower);
    }
  }),
};

const VIA_VALUES = [
  'SIP/2.0/UDP',
  'SIP/2.0/UDP ',
  'SIP/2.0/UDP 127.0.0.1',
  'SIP/2.0/UDP 127.0.0.1:5170',
  'SIP/2.0/UDP 127.0.0.1:99999;rport;branch=z9hG4bKx',
  'SIP/2.0/UDP 127.0.0.1:-1;rport;branch=z9hG4bKx',
  'SIP/2.0/UDP 127.0.0.1:0;rport=abc;branch=z9hG4bKx',
  'SIP/2.0/UDP 127.0.0.1;rport=99999999;branch=z9hG4bKx',
  'SIP/2.0/UDP [::1;rport;branch=z9hG4bKx',
  'SIP/2.0/UDP [::1]:5060;rport;branch=z9hG4bKx',
  'SIP/2.0/UDP ::1:5060;rport;branch=z9hG4bKx',
  'SIP/2.0/XYZ 127.0.0.1;rport;branch=z9hG4bKx',
  'SIP/3.0/UDP 127.0.0.1;rport;branch=z9hG4bKx',
  'SIP/2.0 127.0.0.1;rport;branch=z9hG4bKx',
  'SIP/2.0/UDP 127.0.0.1;rport;branch=',
  'SIP/2.0/UDP 127.0.0.1;rport;branch',
  'SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bK',
  'SIP/2.0/UDP 127.0.0.1;;;;;',
  'SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKx;received=not-an-ip;maddr=;ttl=999',
  'SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKx,',
  ',SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKx',
  'SIP/2.0/UDP 127.0.0.1;rport;branch="z9hG4bK unterminated',
  'SIP / 2.0 / UDP 127.0.0.1 : 5060 ; rport ; branch = z9hG4bKx',
  'SIP/2.0/TCP host.invalid;rport;branch=z9hG4bKx',
  'SIP/2.0/WS df7jal23ls0d.invalid;rport;branch=z9hG4bKx',
  'SIP/2.0/UDP 255.255.255.255:5060;rport;branch=z9hG4bKx',
];

const brokenVia: MutationOperator = {
  name: 'broken-via',
  weight: 4,
  apply: onParts((rng, p) => {
    let value = rng.pick(VIA_VALUES);
    if (rng.chance(0.2)) value = `${value}${randomString(rng, rng.size(40), PRINTABLE)}`;
    if (rng.chance(0.2)) {
      p.headers.unshift(`Via: ${value}`);
      return;
    }
    setHeader(rng, p, 'via', value, 'Via');
  }),
};

const NAME_ADDR_VALUES = [
  '',
  '<',
  '>',
  '<>',
  '<sip:>',
  'sip:',
  '<sip:alice@127.0.0.1',
  'sip:alice@127.0.0.1>',
  '"unterminated <sip:alice@127.0.0.1>;tag=1',
  '"a\\" <sip:alice@127.0.0.1>;tag=1',
  '"\\',
  '<sip:alice@127.0.0.1>;tag',
  '<sip:alice@127.0.0.1>;tag=',
  '<sip:alice@127.0.0.1>;tag=a;tag=b',
  '<sip:%zz@127.0.0.1>;tag=1',
  '<sip:alice@[::1>;tag=1',
  '<sip:alice@127.0.0.1:99999999>;tag=1',
  '<sips:alice@127.0.0.1;transport=>;tag=1',
  '<tel:+1-555>;tag=1',
  '<http://x/>;tag=1',
  '<sip:alice@127.0.0.1;;;;>;;;;tag=1',
  'sip:alice@127.0.0.1;tag=1',
  'Alice <sip:alice@127.0.0.1>;tag=1',
  '<sip:watcher@127.0.0.1>;tag=1, <sip:bob@127.0.0.1>',
  '<sip:watcher@127.0.0.1?Call-ID=x&From=y>;tag=1',
  '<*>',
  '*',
];

const brokenFromTo: MutationOperator = {
  name: 'broken-from-to',
  weight: 4,
  apply: onParts((rng, p) => {
    const name = rng.pick(['from', 'to']);
    let value = rng.pick(NAME_ADDR_VALUES);
    if (rng.chance(0.2)) value += randomUtf8(rng, rng.size(20));
    setHeader(rng, p, name, value, name === 'from' ? 'From' : 'To');
  }),
};

const brokenCSeq: MutationOperator = {
  name: 'broken-cseq',
  weight: 3,
  apply: onParts((rng, p) => {
    const method = p.start.split(' ')[0] ?? 'REGISTER';
    const value = rng.pick([
      '',
      method,
      '1',
      `-1 ${method}`,
      `4294967296 ${method}`,
      `2147483648 ${method}`,
      `99999999999999999999 ${method}`,
      `abc ${method}`,
      `1.5 ${method}`,
      `1 ${method} extra`,
      `1 ${rng.pick(METHODS)}`,
      `1\t${method}`,
      `1  ${method}`,
      `0x1 ${method}`,
      `1 ${randomBytes(rng, 5)}`,
      `1 ${method.toLowerCase()}`,
      `1, 2 ${method}`,
    ]);
    setHeader(rng, p, 'cseq', value, 'CSeq');
  }),
};

const brokenCallId: MutationOperator = {
  name: 'broken-call-id',
  weight: 3,
  apply: onParts((rng, p) => {
    const value = rng.pick([
      '',
      ' ',
      'a b',
      '@',
      'x@',
      '@y',
      'a@b@c',
      '<x>',
      'a,b',
      '"quoted"',
      randomBytes(rng, rng.size(100)),
      'c'.repeat(rng.range(1000, 9000)),
      randomUtf8(rng, 10),
    ]);
    setHeader(rng, p, 'call-id', value, 'Call-ID');
  }),
};

const unbalanced: MutationOperator = {
  name: 'unbalanced',
  weight: 4,
  apply: onParts((rng, p) => {
    if (p.headers.length === 0) return;
    const i = rng.int(p.headers.length);
    let line = p.headers[i]!;
    const n = rng.range(1, 4);
    for (let k = 0; k < n; k++) {
      const ch = rng.pick(['"', '<', '>', '\\', '"', '(', ')', '[', ']']);
      if (rng.chance(0.3)) {
        // remove a closing delimiter
        const at = Math.max(line.lastIndexOf('>'), line.lastIndexOf('"'));
        if (at !== -1) line = line.slice(0, at) + line.slice(at + 1);
      } else {
        line = insertAt(line, rng.range(Math.min(line.length, line.indexOf(':') + 1), line.length), ch);
      }
    }
    p.headers[i] = line;
  }),
};

const commaFlood: MutationOperator = {
  name: 'comma-flood',
  weight: 3,
  apply: onParts((rng, p) => {
    const n = rng.range(1000, 20000);
    const name = rng.pick(['Allow', 'Supported', 'Accept', 'Contact', 'Via', 'Route', 'Record-Route', 'Event', 'Allow-Events', 'Require', 'Proxy-Require', 'Unsupported', 'Accept-Encoding']);
    const unit = rng.pick([
      ',',
      ', ',
      'INVITE,',
      'application/pidf+xml,',
      '<sip:a@127.0.0.1>,',
      'SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx,',
      'a;q=0.5,',
      '",',
      '<,',
    ]);
    const value = unit.repeat(Math.max(1, Math.floor(n / unit.length)));
    if (rng.chance(0.5)) p.headers.push(`${name}: ${value}`);
    else setHeader(rng, p, name.toLowerCase(), value, name);
  }),
};

const utf8: MutationOperator = {
  name: 'random-utf8',
  weight: 4,
  apply(rng, msg) {
    let s = msg;
    const n = rng.range(1, 5);
    for (let k = 0; k < n; k++) s = insertAt(s, rng.int(s.length + 1), randomUtf8(rng, rng.range(1, 20)));
    return s;
  },
};

const splice: MutationOperator = {
  name: 'splice',
  weight: 4,
  apply(rng, msg, ctx) {
    const other = ctx.corpus.length > 0 ? rng.pick(ctx.corpus) : msg;
    if (rng.chance(0.4)) {
      // whole header lines from another message
      const a = split(msg);
      const b = split(other);
      const from = rng.int(b.headers.length + 1);
      a.headers.splice(rng.int(a.headers.length + 1), rng.int(3), ...b.headers.slice(from, from + rng.range(1, 6)));
      if (rng.chance(0.3)) a.body = b.body;
      return join(a);
    }
    return msg.slice(0, rng.int(msg.length + 1)) + other.slice(rng.int(other.length + 1));
  },
};

const startLine: MutationOperator = {
  name: 'start-line',
  weight: 4,
  apply: onParts((rng, p) => {
    if (!isRequest(p)) {
      const code = rng.pick(['0', '99', '100', '199', '200', '299', '999', '1000', '-200', '2OO', '', '20', `${rng.range(0, 999)}`]);
      const reason = rng.pick(['OK', '', randomBytes(rng, 20), 'x'.repeat(rng.range(10, 9000))]);
      p.start = rng.pick([`SIP/2.0 ${code} ${reason}`, `SIP/2.0 ${code}`, `SIP/2.1 200 OK`, `SIP/2.0  200  OK`, `SIP/2.0`, `SIP/20 200 OK`]);
      return;
    }
    const [method = 'OPTIONS', uri = 'sip:127.0.0.1'] = p.start.split(' ');
    p.start = rng.pick([
      `${method} ${uri} SIP/2.1`,
      `${method} ${uri} SIP/3.0`,
      `${method} ${uri} SIP/20`,
      `${method} ${uri} sip/2.0`,
      `${method} ${uri} HTTP/1.1`,
      `${method} ${uri}`,
      `${method} ${uri} SIP/2.0 extra`,
      `${method}  ${uri}  SIP/2.0`,
      `${method}\t${uri}\tSIP/2.0`,
      ` ${method} ${uri} SIP/2.0`,
      `${method} SIP/2.0`,
      `${method}`,
      '',
      `${method} sip: SIP/2.0`,
      `${method} sip:@ SIP/2.0`,
      `${method} * SIP/2.0`,
      `${method} <sip:1000@127.0.0.1> SIP/2.0`,
      `${method} sips:%zz@[::1 SIP/2.0`,
      `${method} tel:+15551234 SIP/2.0`,
      `${method} sip:1000@127.0.0.1:99999 SIP/2.0`,
      `${method} sip:1000@127.0.0.1;;;=;transport= SIP/2.0`,
      `${method} sip:1000@127.0.0.1?a=b&&=& SIP/2.0`,
      `${method} ${randomString(rng, rng.size(200), PRINTABLE)} SIP/2.0`,
    ]);
  }),
};

const fold: MutationOperator = {
  name: 'fold',
  weight: 2,
  apply: onParts((rng, p) => {
    if (p.headers.length === 0) return;
    const i = rng.int(p.headers.length);
    const line = p.headers[i]!;
    const at = rng.int(line.length + 1);
    p.headers[i] = `${line.slice(0, at)}\r\n${rng.pick([' ', '\t', '  \t', ''])}${line.slice(at)}`;
    if (rng.chance(0.2)) p.headers.splice(rng.int(p.headers.length + 1), 0, ' continuation of nothing');
  }),
};

const headerNames: MutationOperator = {
  name: 'header-names',
  weight: 3,
  apply: onParts((rng, p) => {
    if (p.headers.length === 0) return;
    const i = rng.int(p.headers.length);
    const line = p.headers[i]!;
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1);
    const compact = Object.entries(COMPACT).find(([, full]) => full === name.toLowerCase())?.[0];
    p.headers[i] = rng.pick([
      `${compact ?? name}:${value}`,
      `${name.toUpperCase()}:${value}`,
      `${name} :${value}`,
      `${name}\t:${value}`,
      `${name}${value}`,
      `:${value}`,
      `${name}::${value}`,
      ` ${name}:${value}`,
      `${name} x:${value}`,
      `${randomBytes(rng, rng.range(1, 10))}:${value}`,
    ]);
  }),
};

const headerCount: MutationOperator = {
  name: 'header-count',
  weight: 2,
  apply: onParts((rng, p) => {
    const n = rng.pick([99, 100, 101, rng.range(100, 2000)]);
    const extra: string[] = [];
    for (let k = 0; k < n; k++) extra.push(`X-H${k}: ${k}`);
    p.headers.splice(rng.int(p.headers.length + 1), 0, ...extra);
  }),
};

const bodyGarbage: MutationOperator = {
  name: 'body',
  weight: 3,
  apply: onParts((rng, p) => {
    const n = rng.size(4000);
    p.body = rng.pick([
      () => randomBytes(rng, n),
      () => randomUtf8(rng, n),
      () => `<?xml version="1.0"?><presence ${'<'.repeat(n)}`,
      () => 'Messages-Waiting: yes\r\nVoice-Message: 99999999999/-1 (x/y)\r\n',
      () => '',
    ])();
    if (rng.chance(0.5)) setHeader(rng, p, 'content-length', String(p.body.length), 'Content-Length');
    if (rng.chance(0.5)) {
      setHeader(rng, p, 'content-type', rng.pick(['application/pidf+xml', 'application/simple-message-summary', 'application/dialog-info+xml', 'text/plain;charset=', '/', 'x', '', 'multipart/mixed;boundary="']), 'Content-Type');
    }
  }),
};

const authGarbage: MutationOperator = {
  name: 'authorization',
  weight: 3,
  apply: onParts((rng, p) => {
    const user = rng.pick(['bob', 'watcher', 'alice', '', '"', 'bob\\', 'x'.repeat(3000)]);
    const value = rng.pick([
      'Digest',
      'Digest ',
      'Basic Ym9iOmJvYg==',
      `Digest username="${user}", realm="tsterisk", nonce="`,
      `Digest username="${user}", realm="tsterisk", nonce="${'n'.repeat(rng.range(1, 5000))}", uri="sip:127.0.0.1", response="00"`,
      `Digest username="${user}", realm="tsterisk", nonce="1/2/3", uri="sip:127.0.0.1", response="0123456789abcdef0123456789abcdef", qop=auth, nc=zzzzzzzz, cnonce="x"`,
      `Digest username="${user}", realm="tsterisk", nonce="abc", uri="sip:127.0.0.1", response="0123456789abcdef0123456789abcdef", algorithm=ROT13`,
      `Digest username="${user}", username="other", realm=, nonce=, uri=, response=`,
      `Digest username=${user} realm=tsterisk nonce=abc`,
      `Digest ,,,,,,,,`,
      `Digest username="${user}", realm="tsterisk", nonce="abc", uri="sip:127.0.0.1", response="${'f'.repeat(64)}", algorithm=SHA-256, qop=auth-int, nc=00000001, cnonce="c"`,
      `Digest username="${user}", realm="tsterisk", nonce="${randomBytes(rng, 40).replace(/"/g, '')}", uri="sip:127.0.0.1", response="x"`,
      `Digest ${randomString(rng, rng.size(500), PRINTABLE)}`,
    ]);
    setHeader(rng, p, rng.pick(['authorization', 'proxy-authorization']), value, 'Authorization');
  }),
};

const registerFields: MutationOperator = {
  name: 'register-fields',
  weight: 3,
  apply: onParts((rng, p) => {
    if (rng.chance(0.5)) setHeader(rng, p, 'expires', rng.pick(['-1', '0', '1', '59', '4294967296', '99999999999999', 'abc', '', '3600 x', '1.5', '0x10']), 'Expires');
    const contact = rng.pick([
      '*',
      '*, <sip:a@127.0.0.1>',
      '<sip:a@127.0.0.1>;expires=-5',
      '<sip:a@127.0.0.1>;expires=1e9',
      '<sip:a@127.0.0.1>;expires=',
      '<sip:a@127.0.0.1>;expires=99999999999999999999',
      '<>',
      '"unbalanced <sip:a@127.0.0.1>',
      'sip:a@127.0.0.1;expires=60',
      `<sip:${randomString(rng, rng.range(1, 30), TOKEN)}@127.0.0.1:${rng.range(0, 70000)}>`,
      Array.from({ length: rng.range(2, 200) }, (_, k) => `<sip:c${k}@127.0.0.1>`).join(', '),
      `<sip:a@127.0.0.1>;+sip.instance="<urn:uuid:${randomString(rng, 36, TOKEN)}`,
      '<sip:a@127.0.0.1;transport=ws;ob>;reg-id=abc',
    ]);
    setHeader(rng, p, 'contact', contact, 'Contact');
    if (rng.chance(0.3)) p.start = p.start.replace(/^\S+/, 'REGISTER');
  }),
};

const maxForwards: MutationOperator = {
  name: 'max-forwards',
  weight: 2,
  apply: onParts((rng, p) => {
    setHeader(rng, p, 'max-forwards', rng.pick(['0', '-1', '255', '256', '99999999999', 'abc', '', '70 70']), 'Max-Forwards');
  }),
};

const degenerate: MutationOperator = {
  name: 'degenerate',
  weight: 1,
  apply(rng, msg) {
    return rng.pick([
      () => '',
      () => '\r\n',
      () => '\r\n\r\n',
      () => '\r\n\r\n\r\n\r\n',
      () => ' \r\n\r\n',
      () => msg.split('\r\n')[0] ?? '',
      () => `${msg.split('\r\n')[0] ?? ''}\r\n\r\n`,
      () => randomBytes(rng, rng.size(2000)),
      () => msg + msg,
      () => msg.repeat(rng.range(2, 20)),
    ])();
  },
};

export const OPERATORS: readonly MutationOperator[] = [
  bitFlip,
  byteSet,
  truncate,
  dupHeader,
  deleteHeader,
  swapHeaders,
  garbageValue,
  hugeValue,
  contentLength,
  lineEndings,
  nulBytes,
  overlongLine,
  randomMethod,
  lowercaseMethod,
  brokenVia,
  brokenFromTo,
  brokenCSeq,
  brokenCallId,
  unbalanced,
  commaFlood,
  utf8,
  splice,
  startLine,
  fold,
  headerNames,
  headerCount,
  bodyGarbage,
  authGarbage,
  registerFields,
  maxForwards,
  degenerate,
];
