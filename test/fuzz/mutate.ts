/**
 * The fuzzer's mutation engine: deterministic, seeded mutations of real SIP messages (the
 * recorded captures), 1 to 3 operators (operators.ts) per message. Pure: no I/O, so the test,
 * `npm run fuzz` and a reproduction of one input all get the same bytes for the same (seed, id).
 *
 * Messages are handled as latin1 strings so every byte survives a round trip (UTF-8 and NULs
 * included); `Buffer.from(s, 'latin1')` gives the wire bytes back.
 */
import { OPERATORS, type MutationContext, type MutationOperator } from './operators.js';
import { mutationRng, type Rng } from './rng.js';

export { OPERATORS } from './operators.js';
export { Rng, mutationRng } from './rng.js';

const TOTAL_WEIGHT = OPERATORS.reduce((s, o) => s + o.weight, 0);

function pickOperator(rng: Rng): MutationOperator {
  let x = rng.float() * TOTAL_WEIGHT;
  for (const op of OPERATORS) {
    x -= op.weight;
    if (x < 0) return op;
  }
  return OPERATORS[OPERATORS.length - 1]!;
}

export interface Mutation {
  readonly id: number;
  /** Index of the corpus message it started from. */
  readonly base: number;
  /** Operator names, in the order applied. */
  readonly ops: readonly string[];
  readonly data: Buffer;
}

export interface MutateOptions {
  /** Cut the result to this many bytes (UDP: 65507). Default: no limit. */
  readonly maxBytes?: number;
}

/** The seed messages, as latin1 strings, with the requests among them indexed. */
export interface Corpus {
  readonly messages: readonly string[];
  /** Indices of the requests (the TU sees only those; responses exercise parser and matching). */
  readonly requests: readonly number[];
}

/**
 * Seeds as the node should answer them: requests get `;rport` on the top Via, so a response
 * comes back to the fuzzer's socket (RFC 3581) rather than to the recorded phone's port.
 */
export function prepareCorpus(raw: readonly Buffer[]): Corpus {
  const messages = raw.map((m) => {
    const s = m.toString('latin1');
    if (s.startsWith('SIP/')) return s;
    return s.replace(/^(Via|v)([ \t]*:[^\r\n]*)/im, (line: string) => (/;rport/i.test(line) ? line : `${line};rport`));
  });
  const requests: number[] = [];
  messages.forEach((m, i) => {
    if (!m.startsWith('SIP/')) requests.push(i);
  });
  return { messages, requests };
}

/**
 * Mutation #id of the campaign seeded `seed`: 1 to 3 operators over one corpus message, a
 * request three times in four.
 */
export function mutate(corpus: Corpus, seed: number, id: number, opts: MutateOptions = {}): Mutation {
  if (corpus.messages.length === 0) throw new Error('empty corpus');
  const rng = mutationRng(seed, id);
  const base = rng.chance(0.75) && corpus.requests.length > 0 ? rng.pick(corpus.requests) : rng.int(corpus.messages.length);
  let msg = corpus.messages[base]!;
  const ops: string[] = [];
  const n = rng.chance(0.6) ? 1 : rng.chance(0.6) ? 2 : 3;
  const ctx: MutationContext = { corpus: corpus.messages };
  for (let k = 0; k < n; k++) {
    const op = pickOperator(rng);
    ops.push(op.name);
    msg = op.apply(rng, msg, ctx);
  }
  let data = Buffer.from(msg, 'latin1');
  if (opts.maxBytes !== undefined && data.length > opts.maxBytes) data = data.subarray(0, opts.maxBytes);
  return { id, base, ops, data };
}
