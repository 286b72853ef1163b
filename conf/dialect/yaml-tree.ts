/**
 * A YAML document as a small tree that remembers the line of every node, built from js-yaml's
 * event stream (`parseEvents`), because `load()` returns plain values with no positions and
 * config issues must name a line. Only what a config file needs survives: scalars become the
 * strings the Asterisk dialect would hold (see conf/yaml.ts), with no custom types at all.
 * Anchors and aliases work (an alias reuses the anchored node); duplicate keys are kept here and
 * reported by the caller, which knows what they mean.
 */
import { EVENT_ID, getScalarValue, parseEvents, SCALAR_STYLE, type Event, type ScalarEvent } from 'js-yaml';

export type YamlNode =
  /** `value` is the config value (null → "", true/false → yes/no); `text` is the scalar as written, for keys. */
  | { kind: 'scalar'; value: string; text: string; line: number; isNull: boolean; problem?: string }
  | { kind: 'seq'; items: YamlNode[]; line: number; problem?: string }
  | { kind: 'map'; entries: { key: YamlNode; value: YamlNode }[]; line: number; problem?: string };

export interface YamlDocuments {
  /** Root node of each document (null for an empty document). */
  roots: (YamlNode | null)[];
}

/** Offsets to 1-based line numbers. */
class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

const NULL_WORDS = new Set(['', '~', 'null', 'Null', 'NULL']);
const TRUE_WORDS = new Set(['true', 'True', 'TRUE']);
const FALSE_WORDS = new Set(['false', 'False', 'FALSE']);
/** Tags that do not change what a value means here; anything else is refused. */
const HARMLESS_COLLECTION_TAGS = new Set(['!!map', '!!seq', '!']);

class TreeBuilder {
  private i = 0;
  private readonly anchors = new Map<string, YamlNode>();

  constructor(
    private readonly src: string,
    private readonly events: Event[],
    private readonly lines: LineIndex,
  ) {}

  documents(): YamlDocuments {
    const roots: (YamlNode | null)[] = [];
    while (this.i < this.events.length) {
      const e = this.events[this.i++];
      if (e.type !== EVENT_ID.DOCUMENT) continue;
      const next = this.events[this.i];
      if (next === undefined || next.type === EVENT_ID.POP) {
        roots.push(null);
        this.i++;
        continue;
      }
      roots.push(this.node(0));
      this.i++; // the document's POP
    }
    return { roots };
  }

  private text(start: number, end: number): string | undefined {
    return start >= 0 ? this.src.slice(start, end) : undefined;
  }

  private remember(anchorStart: number, anchorEnd: number, n: YamlNode): YamlNode {
    const a = this.text(anchorStart, anchorEnd);
    if (a !== undefined) this.anchors.set(a, n);
    return n;
  }

  /** The next node; `fallbackLine` is used for empty scalars, which have no position of their own. */
  node(fallbackLine: number): YamlNode {
    const e = this.events[this.i++];
    switch (e.type) {
      case EVENT_ID.SCALAR:
        return this.remember(e.anchorStart, e.anchorEnd, this.scalar(e, fallbackLine));
      case EVENT_ID.ALIAS: {
        const name = this.src.slice(e.anchorStart, e.anchorEnd);
        const target = this.anchors.get(name);
        if (target) return target;
        return { kind: 'scalar', value: '', text: '', isNull: true, line: this.lines.lineOf(e.anchorStart), problem: `unknown alias '*${name}'` };
      }
      case EVENT_ID.SEQUENCE: {
        const line = this.lines.lineOf(e.start);
        const n: YamlNode = { kind: 'seq', items: [], line };
        this.collectionTag(n, e.tagStart, e.tagEnd);
        this.remember(e.anchorStart, e.anchorEnd, n);
        while (this.events[this.i].type !== EVENT_ID.POP) n.items.push(this.node(line));
        this.i++;
        return n;
      }
      case EVENT_ID.MAPPING: {
        const line = this.lines.lineOf(e.start);
        const n: YamlNode = { kind: 'map', entries: [], line };
        this.collectionTag(n, e.tagStart, e.tagEnd);
        this.remember(e.anchorStart, e.anchorEnd, n);
        while (this.events[this.i].type !== EVENT_ID.POP) {
          const key = this.node(line);
          const value = this.node(key.line);
          n.entries.push({ key, value });
        }
        this.i++;
        return n;
      }
      default:
        // DOCUMENT or POP where a node belongs cannot come out of a successful parse.
        return { kind: 'scalar', value: '', text: '', isNull: true, line: fallbackLine, problem: 'unexpected end of a YAML collection' };
    }
  }

  private collectionTag(n: YamlNode, tagStart: number, tagEnd: number): void {
    const tag = this.text(tagStart, tagEnd);
    if (tag !== undefined && !HARMLESS_COLLECTION_TAGS.has(tag)) n.problem = `YAML tag '${tag}' is not supported`;
  }

  /**
   * Plain scalars follow YAML's core schema for null and booleans only: null becomes "", true and
   * false become Asterisk's `yes` and `no`; everything else, numbers included, keeps the text as
   * written (so `0042` stays `0042`). Quoted and block scalars are always text. `!!str` forces text.
   */
  private scalar(e: ScalarEvent, fallbackLine: number): YamlNode {
    const line = e.valueStart >= 0 ? this.lines.lineOf(e.valueStart) : fallbackLine;
    const text = e.valueStart >= 0 ? getScalarValue(this.src, e) : '';
    const as = (value: string, isNull: boolean, problem?: string): YamlNode =>
      problem === undefined ? { kind: 'scalar', value, text, line, isNull } : { kind: 'scalar', value, text, line, isNull, problem };
    const tag = this.text(e.tagStart, e.tagEnd);
    if (tag !== undefined) {
      if (tag === '!!str' || tag === '!') return as(text, false);
      return as(text, false, `YAML tag '${tag}' is not supported`);
    }
    if (e.style !== SCALAR_STYLE.PLAIN) return as(text, false);
    if (NULL_WORDS.has(text)) return as('', true);
    if (TRUE_WORDS.has(text)) return as('yes', false);
    if (FALSE_WORDS.has(text)) return as('no', false);
    return as(text, false);
  }
}

export type YamlParse = { ok: true; docs: YamlDocuments } | { ok: false; line: number; message: string };

/** Parses YAML text; a syntax error comes back with the 1-based line js-yaml reports. */
export function parseYamlTree(text: string, fileName: string): YamlParse {
  let events: Event[];
  try {
    events = parseEvents(text, { filename: fileName });
  } catch (e) {
    const mark = (e as { mark?: { line?: number } }).mark;
    const reason = (e as { reason?: unknown }).reason;
    const line = typeof mark?.line === 'number' ? mark.line + 1 : 1;
    const message = typeof reason === 'string' ? reason : e instanceof Error ? e.message : String(e);
    return { ok: false, line, message: `YAML syntax error: ${message}` };
  }
  return { ok: true, docs: new TreeBuilder(text, events, new LineIndex(text)).documents() };
}
