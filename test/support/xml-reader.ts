/**
 * A small, safe XML reader for tests: enough to compare presence bodies element by element.
 *
 * Safe by construction: no DTD (`<!DOCTYPE` is refused, so no external or custom entities),
 * only the five predefined entities and numeric character references, processing instructions
 * refused except the leading XML declaration, and limits on input size and nesting depth.
 * Strict: unbalanced tags, unquoted or duplicate attributes, `<` in attribute values, unknown
 * entities and undeclared namespace prefixes are errors.
 *
 * Every element keeps its attributes in document order and its namespace resolved from the
 * `xmlns` declarations in scope, so tests can compare names, namespaces, attribute order and
 * values, not just text.
 */

export interface XmlAttribute {
  /** As written, e.g. `xmlns:dm`, `entity`. */
  name: string;
  value: string;
}

export interface XmlNode {
  /** As written, e.g. `dm:person`. */
  name: string;
  prefix: string | null;
  localName: string;
  /** Namespace URI in scope for the prefix (or the default namespace), null when none. */
  namespace: string | null;
  attributes: XmlAttribute[];
  children: XmlNode[];
  /** All character data directly inside the element, entities decoded, untrimmed. */
  text: string;
}

export interface XmlDocument {
  /** The `<?xml ...?>` declaration text, if present. */
  declaration: string | null;
  root: XmlNode;
}

export interface XmlReadOptions {
  /** Largest input accepted, in characters (default 65536). */
  maxLength?: number;
  /** Deepest element nesting accepted (default 32). */
  maxDepth?: number;
}

export class XmlReadError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
    this.name = 'XmlReadError';
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*/;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function readXml(text: string, opts: XmlReadOptions = {}): XmlDocument {
  const maxLength = opts.maxLength ?? 65536;
  const maxDepth = opts.maxDepth ?? 32;
  if (text.length > maxLength) throw new XmlReadError(`input longer than ${maxLength}`, maxLength);
  let pos = 0;

  const fail = (msg: string): never => {
    throw new XmlReadError(msg, pos);
  };

  const skipSpace = (): void => {
    while (pos < text.length && /[ \t\r\n]/.test(text[pos])) pos++;
  };

  const decode = (raw: string, at: number): string =>
    raw.replace(/&([^;&]*);?/g, (whole, body: string) => {
      if (!whole.endsWith(';')) throw new XmlReadError(`unterminated entity reference '${whole}'`, at);
      if (body.startsWith('#x')) {
        const cp = Number.parseInt(body.slice(2), 16);
        if (!/^#x[0-9a-fA-F]+$/.test(body) || cp > 0x10ffff) throw new XmlReadError(`bad character reference '${whole}'`, at);
        return String.fromCodePoint(cp);
      }
      if (body.startsWith('#')) {
        const cp = Number.parseInt(body.slice(1), 10);
        if (!/^#[0-9]+$/.test(body) || cp > 0x10ffff) throw new XmlReadError(`bad character reference '${whole}'`, at);
        return String.fromCodePoint(cp);
      }
      const v = PREDEFINED[body];
      if (v === undefined) throw new XmlReadError(`unknown entity '${whole}'`, at);
      return v;
    });

  const skipMisc = (): void => {
    for (;;) {
      skipSpace();
      if (text.startsWith('<!--', pos)) {
        const end = text.indexOf('-->', pos + 4);
        if (end < 0) fail('unterminated comment');
        pos = end + 3;
      } else if (text.startsWith('<!', pos)) {
        fail('DTDs and declarations are not accepted');
      } else if (text.startsWith('<?', pos)) {
        fail('processing instructions are not accepted');
      } else {
        return;
      }
    }
  };

  let declaration: string | null = null;
  if (text.startsWith('<?xml', pos)) {
    const end = text.indexOf('?>', pos);
    if (end < 0) fail('unterminated XML declaration');
    declaration = text.slice(pos, end + 2);
    pos = end + 2;
  }
  skipMisc();

  const readElement = (scope: Map<string, string>, depth: number): XmlNode => {
    if (depth > maxDepth) fail(`nesting deeper than ${maxDepth}`);
    if (text[pos] !== '<') fail('expected <');
    pos++;
    const m = NAME.exec(text.slice(pos, pos + 256));
    if (m === null) fail('bad element name');
    const name = (m as RegExpExecArray)[0];
    pos += name.length;
    const attributes: XmlAttribute[] = [];
    let selfClosing = false;
    for (;;) {
      const before = pos;
      skipSpace();
      if (text.startsWith('/>', pos)) {
        pos += 2;
        selfClosing = true;
        break;
      }
      if (text[pos] === '>') {
        pos++;
        break;
      }
      if (pos === before) fail('expected space before attribute');
      const am = NAME.exec(text.slice(pos, pos + 256));
      if (am === null) fail('bad attribute name');
      const an = (am as RegExpExecArray)[0];
      pos += an.length;
      skipSpace();
      if (text[pos] !== '=') fail(`attribute ${an} has no value`);
      pos++;
      skipSpace();
      const q = text[pos];
      if (q !== '"' && q !== "'") fail(`attribute ${an} value is not quoted`);
      const end = text.indexOf(q, pos + 1);
      if (end < 0) fail('unterminated attribute value');
      const raw = text.slice(pos + 1, end);
      if (raw.includes('<')) fail(`'<' in attribute ${an}`);
      if (attributes.some((a) => a.name === an)) fail(`duplicate attribute ${an}`);
      attributes.push({ name: an, value: decode(raw, pos) });
      pos = end + 1;
    }

    let inner = scope;
    for (const a of attributes) {
      if (a.name === 'xmlns' || a.name.startsWith('xmlns:')) {
        if (inner === scope) inner = new Map(scope);
        inner.set(a.name === 'xmlns' ? '' : a.name.slice(6), a.value);
      }
    }
    const colon = name.indexOf(':');
    const prefix = colon >= 0 ? name.slice(0, colon) : null;
    const localName = colon >= 0 ? name.slice(colon + 1) : name;
    const ns = inner.get(prefix ?? '');
    if (prefix !== null && ns === undefined) fail(`undeclared prefix ${prefix}`);
    const node: XmlNode = { name, prefix, localName, namespace: ns ?? null, attributes, children: [], text: '' };
    if (selfClosing) return node;

    for (;;) {
      const lt = text.indexOf('<', pos);
      if (lt < 0) fail(`unclosed element ${name}`);
      if (lt > pos) {
        const raw = text.slice(pos, lt);
        if (raw.includes(']]>')) fail("']]>' in content");
        node.text += decode(raw, pos);
        pos = lt;
      }
      if (text.startsWith('</', pos)) {
        pos += 2;
        if (!text.startsWith(name, pos)) fail(`mismatched end tag for ${name}`);
        pos += name.length;
        skipSpace();
        if (text[pos] !== '>') fail(`mismatched end tag for ${name}`);
        pos++;
        return node;
      }
      if (text.startsWith('<!--', pos)) {
        const end = text.indexOf('-->', pos + 4);
        if (end < 0) fail('unterminated comment');
        pos = end + 3;
        continue;
      }
      if (text.startsWith('<!', pos) || text.startsWith('<?', pos)) fail('markup declarations, CDATA and PIs are not accepted');
      node.children.push(readElement(inner, depth + 1));
    }
  };

  const root = readElement(new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]), 1);
  skipMisc();
  if (pos !== text.length) fail('content after the root element');
  return { declaration, root };
}

/** Elements of `parent` named `name` (as written). */
export function childrenNamed(parent: XmlNode, name: string): XmlNode[] {
  return parent.children.filter((c) => c.name === name);
}

/** The value of an attribute, or undefined. */
export function attr(node: XmlNode, name: string): string | undefined {
  return node.attributes.find((a) => a.name === name)?.value;
}
