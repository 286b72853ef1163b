/** Percentiles over latency samples (ms), nearest-rank. */
import type { Percentiles } from './protocol.js';

export function percentiles(samples: number[]): Percentiles {
  const n = samples.length;
  if (n === 0) return { n: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const s = Float64Array.from(samples).sort();
  const at = (p: number): number => round(s[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]!);
  return { n, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: round(s[n - 1]!) };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
