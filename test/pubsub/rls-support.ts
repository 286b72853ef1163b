/**
 * Reads resource list NOTIFY bodies back for the RLS tests: the multipart/related body split by
 * its boundary (RFC 2046: parts open with CRLF "--boundary", the last delimiter ends in "--"),
 * each part's headers, and the RLMI document parsed with the test XML reader, field by field.
 * Every structural rule a subscriber relies on is asserted while reading: the `type` parameter,
 * the RLMI part first (and named by `start` when present), every instance `cid` naming a part,
 * part Content-Length equal to the part's byte length.
 */
import assert from 'node:assert/strict';
import { parseMediaType, unquote } from '../../core/sip/header-values.js';
import type { SipRequest } from '../../core/sip/message.js';
import { attr, readXml, type XmlNode } from '../support/xml-reader.js';

export const RLMI_NS = 'urn:ietf:params:xml:ns:rlmi';

export interface MimePart {
  headers: Map<string, string>;
  contentType: string;
  contentId: string;
  body: string;
}

export interface Multipart {
  type: string | undefined;
  start: string | undefined;
  boundary: string;
  parts: MimePart[];
}

export interface RlmiInstance {
  id: string;
  state: string;
  cid: string | undefined;
  reason: string | undefined;
}

export interface RlmiResource {
  uri: string;
  name: string | undefined;
  instances: RlmiInstance[];
}

export interface Rlmi {
  uri: string;
  version: number;
  fullState: string;
  name: string | undefined;
  resources: RlmiResource[];
}

/** One list body: its RLMI, and each resource's part (a nested list is itself a ListBody). */
export interface ListBody {
  multipart: Multipart;
  rlmi: Rlmi;
  rlmiPart: MimePart;
  /** Parts by resource URI. */
  byUri: Map<string, MimePart>;
}

/** `multipart/related;type=...;start=...;boundary=...` parsed, the body split into parts. */
export function parseMultipart(contentType: string, body: string): Multipart {
  const mt = parseMediaType(contentType);
  assert.ok(mt, `bad Content-Type ${contentType}`);
  assert.equal(mt.mediaType, 'multipart/related');
  const param = (n: string) => {
    const v = mt.params.get(n);
    return v === undefined || v === null ? undefined : unquote(v);
  };
  const boundary = param('boundary');
  assert.ok(boundary, 'no boundary parameter');
  const delimiter = `\r\n--${boundary}`;
  // A body may start right at the first delimiter (no preamble, no leading CRLF).
  const text = body.startsWith(`--${boundary}`) ? `\r\n${body}` : body;
  const pieces = text.split(delimiter);
  assert.ok(pieces.length >= 3, 'fewer than one part');
  assert.equal(pieces[0], '', 'a preamble before the first part');
  const last = pieces[pieces.length - 1]!;
  assert.ok(last.startsWith('--'), 'no closing delimiter');
  const parts: MimePart[] = [];
  for (const piece of pieces.slice(1, -1)) {
    assert.ok(piece.startsWith('\r\n'), 'delimiter not followed by CRLF');
    const end = piece.indexOf('\r\n\r\n');
    assert.ok(end >= 0, 'part without a blank line');
    const headers = new Map<string, string>();
    for (const line of piece.slice(2, end).split('\r\n')) {
      const colon = line.indexOf(':');
      assert.ok(colon > 0, `bad part header line ${line}`);
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const partBody = piece.slice(end + 4);
    const cl = headers.get('content-length');
    if (cl !== undefined) assert.equal(Number(cl), Buffer.byteLength(partBody, 'utf8'), 'part Content-Length');
    const cid = headers.get('content-id');
    assert.ok(cid && /^<[^<>@]+@[^<>]+>$/.test(cid), `bad Content-ID ${cid}`);
    parts.push({ headers, contentType: headers.get('content-type') ?? '', contentId: cid.slice(1, -1), body: partBody });
  }
  return { type: param('type'), start: param('start'), boundary, parts };
}

function child(n: XmlNode, local: string): XmlNode | undefined {
  return n.children.find((c) => c.localName === local);
}

/** The RLMI document, checked against RFC 4662's schema shape. */
export function parseRlmi(text: string): Rlmi {
  const root = readXml(text).root;
  assert.equal(root.localName, 'list');
  assert.equal(root.namespace, RLMI_NS);
  const version = attr(root, 'version');
  assert.ok(version !== undefined && /^\d+$/.test(version), `bad version ${version}`);
  const resources: RlmiResource[] = root.children
    .filter((c) => c.localName === 'resource')
    .map((r) => ({
      uri: attr(r, 'uri')!,
      name: child(r, 'name')?.text,
      instances: r.children
        .filter((c) => c.localName === 'instance')
        .map((i) => ({ id: attr(i, 'id')!, state: attr(i, 'state')!, cid: attr(i, 'cid'), reason: attr(i, 'reason') })),
    }));
  return { uri: attr(root, 'uri')!, version: Number(version), fullState: attr(root, 'fullState')!, name: child(root, 'name')?.text, resources };
}

/** A list body (the NOTIFY's, or a nested list's part), with every cross-reference checked. */
export function parseListBody(contentType: string, body: string): ListBody {
  const multipart = parseMultipart(contentType, body);
  assert.equal(multipart.type, 'application/rlmi+xml', 'type parameter');
  const rlmiPart = multipart.parts[0]!;
  assert.equal(rlmiPart.contentType, 'application/rlmi+xml', 'the first part is the RLMI');
  if (multipart.start !== undefined) assert.equal(multipart.start, `<${rlmiPart.contentId}>`, 'start names the RLMI part');
  const rlmi = parseRlmi(rlmiPart.body);
  const byCid = new Map(multipart.parts.slice(1).map((p) => [p.contentId, p]));
  assert.equal(byCid.size, multipart.parts.length - 1, 'Content-IDs are unique');
  const byUri = new Map<string, MimePart>();
  let referenced = 0;
  for (const r of rlmi.resources) {
    for (const i of r.instances) {
      assert.match(i.id, /^[a-z]+$/);
      if (i.cid === undefined) continue;
      const part = byCid.get(i.cid);
      assert.ok(part, `instance cid ${i.cid} of ${r.uri} names no part`);
      byUri.set(r.uri, part);
      referenced++;
    }
  }
  assert.equal(referenced, byCid.size, 'every part is referenced by one instance');
  return { multipart, rlmi, rlmiPart, byUri };
}

/** The list body of a NOTIFY, after checking the list headers. */
export function readListNotify(req: SipRequest): ListBody {
  assert.equal(req.method, 'NOTIFY');
  assert.equal(req.getHeader('Require'), 'eventlist');
  return parseListBody(req.getHeader('Content-Type')!, req.bodyText());
}

/** A resource's part in a list body, its XML root. */
export function partXml(list: ListBody, uri: string): XmlNode {
  const part = list.byUri.get(uri);
  assert.ok(part, `no part for ${uri}`);
  return readXml(part.body).root;
}

export function childText(n: XmlNode, local: string): string | undefined {
  return child(n, local)?.text;
}
