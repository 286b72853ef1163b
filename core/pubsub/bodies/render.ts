/**
 * One body from a generator and its supplements, in Asterisk's order: allocate, generate,
 * each supplement (in registry order), then serialize. This is what the notifier calls per
 * NOTIFY/PUBLISH body.
 */
import type { BodyDataMap, BodyGenerator, BodyKind, BodySupplement } from '../types.js';

export function renderBody<K extends BodyKind, B>(
  generator: BodyGenerator<K, B>,
  supplements: readonly BodySupplement<K, B>[],
  data: BodyDataMap[K],
): string {
  const body = generator.allocate(data);
  generator.generate(body, data);
  for (let i = 0; i < supplements.length; i++) supplements[i].supplement(body, data);
  return generator.toString(body);
}
