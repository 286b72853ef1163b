/**
 * The body of a resource list NOTIFY (RFC 4662 section 5): `multipart/related` whose first part
 * is the RLMI document (application/rlmi+xml) and whose other parts are the resources' bodies
 * (a nested list is a nested multipart/related part), each named by a Content-ID the RLMI
 * `instance cid` points to. The bytes follow what Asterisk sends (pjsip's multipart printer, see
 * the rls-*.txt captures): every part opens with CRLF `--boundary` CRLF, has Content-ID,
 * Content-Type and a space-padded Content-Length, a blank line, then the body; CRLF
 * `--boundary--` CRLF ends it. The RLMI is printed as pj_xml_print prints it.
 *
 * Differences from Asterisk, on purpose: the Content-Type also carries `start="<rlmi cid>"`
 * (RFC 2387's pointer to the root part, as RFC 4662's examples have it; Asterisk relies on the
 * root being first, which stays true); ids are unique within one NOTIFY (Asterisk's 5 random
 * letters collide in a few percent of NOTIFYs once a list has about a thousand resources); a
 * boundary that happens to occur in a part is drawn again.
 */
import { randomBytes } from 'node:crypto';
import { printXml, XmlElement } from '../../core/pubsub/bodies/xml-writer.js';

export const RLMI_MEDIA_TYPE = 'application/rlmi+xml';
export const RLMI_XMLNS = 'urn:ietf:params:xml:ns:rlmi';
export const MULTIPART_RELATED = 'multipart/related';

/** Asterisk's ast_generate_random_string: `length` lower-case letters. */
export function randomLetters(length = 5): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += String.fromCharCode(97 + (bytes[i]! % 26));
  return out;
}

/** Draws ids that are unique within one NOTIFY body. */
export class IdSource {
  private readonly used = new Set<string>();

  next(): string {
    for (;;) {
      const id = randomLetters();
      if (!this.used.has(id)) {
        this.used.add(id);
        return id;
      }
    }
  }
}

export interface BodyPart {
  contentType: string;
  body: string;
}

/** One `<resource>` of an RLMI document, with its part when it has state to show. */
export interface RlmiResource {
  uri: string;
  name: string;
  state: 'active' | 'terminated';
  /** RFC 4662 `reason` of a terminated instance (Asterisk never sends one). */
  reason?: string;
  /** No part: the resource is listed without an instance (no state to show yet). */
  part?: BodyPart;
}

export interface RlmiList {
  uri: string;
  name: string;
  version: number;
  fullState: boolean;
  resources: RlmiResource[];
}

/**
 * The multipart/related body of one list (a NOTIFY body, or a nested list's part). `cidHost` is
 * the Request-URI host, the right-hand side of every Content-ID.
 */
export function buildListBody(list: RlmiList, cidHost: string, ids: IdSource): BodyPart {
  const root = new XmlElement('list')
    .addAttr('xmlns', RLMI_XMLNS)
    .addAttr('uri', list.uri)
    .addAttr('version', String(list.version))
    .addAttr('fullState', list.fullState ? 'true' : 'false');
  root.addChild('name').content = list.name;
  const parts: Array<{ cid: string; part: BodyPart }> = [];
  for (const r of list.resources) {
    const res = root.addChild('resource').addAttr('uri', r.uri);
    res.addChild('name').content = r.name;
    if (r.part === undefined) continue;
    const cid = `${ids.next()}@${cidHost}`;
    const inst = res.addChild('instance').addAttr('id', ids.next()).addAttr('state', r.state);
    if (r.state === 'terminated' && r.reason !== undefined) inst.addAttr('reason', r.reason);
    inst.addAttr('cid', cid);
    parts.push({ cid, part: r.part });
  }
  const rlmiCid = `${ids.next()}@${cidHost}`;
  const all = [{ cid: rlmiCid, part: { contentType: RLMI_MEDIA_TYPE, body: printXml(root) } }, ...parts];
  const boundary = pickBoundary(all.map((p) => p.part.body));
  let body = '';
  for (const p of all) {
    body +=
      `\r\n--${boundary}\r\n` +
      `Content-ID: <${p.cid}>\r\n` +
      `Content-Type: ${p.part.contentType}\r\n` +
      // pjsip prints the length right-aligned in five columns after "Content-Length: ".
      `Content-Length: ${String(Buffer.byteLength(p.part.body, 'utf8')).padStart(5)}\r\n` +
      '\r\n' +
      p.part.body;
  }
  body += `\r\n--${boundary}--\r\n`;
  return { contentType: `${MULTIPART_RELATED};type="${RLMI_MEDIA_TYPE}";start="<${rlmiCid}>";boundary=${boundary}`, body };
}

function pickBoundary(bodies: readonly string[]): string {
  for (;;) {
    const b = randomLetters();
    if (!bodies.some((t) => t.includes(`--${b}`))) return b;
  }
}
