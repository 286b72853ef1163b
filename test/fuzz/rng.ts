/**
 * The fuzzer's deterministic PRNG. Each mutation draws its own generator from (seed, id), so
 * mutation #id can be rebuilt on its own (`npm run fuzz -- --seed S --only id`) without
 * replaying the ones before it.
 */

/** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 32-bit state, good statistics. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = 0) {
    // splitmix32 spreads small seeds (0, 1, 2 ...) over the whole state.
    let s = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** [0, 1) */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor(this.float() * n);
  }

  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Sizes spread over orders of magnitude: most small, some huge. */
  size(max: number): number {
    return Math.min(max, Math.floor(Math.exp(this.float() * Math.log(max + 1))));
  }
}

/** The PRNG of mutation `id` in the campaign seeded `seed`. */
export function mutationRng(seed: number, id: number): Rng {
  return new Rng(seed, id);
}
