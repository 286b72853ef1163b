/** Fixed-width columns as Asterisk's CLI prints them with printf (`%-30s`, `%-40.40s`, `%13s`). */
export function col(value: string | number, width: number, opts: { right?: boolean; max?: number } = {}): string {
  let s = String(value);
  if (opts.max !== undefined && s.length > opts.max) s = s.slice(0, opts.max);
  return opts.right ? s.padStart(width) : s.padEnd(width);
}
