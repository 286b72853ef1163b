/**
 * Start order: dependencies first (requires, and optional ones that are present), then
 * preload before the rest, then ascending load priority, then name: deterministic, unlike
 * Asterisk whose ties have no defined order. Modules with a missing dependency, or caught in a
 * cycle, are declined with the reason.
 */
export interface GraphNode {
  name: string;
  requires: readonly string[];
  optional: readonly string[];
  loadPriority: number;
  preload: boolean;
}

export interface StartOrder {
  order: string[];
  declined: Map<string, string>;
}

function rankCompare(a: GraphNode, b: GraphNode): number {
  if (a.preload !== b.preload) return a.preload ? -1 : 1;
  if (a.loadPriority !== b.loadPriority) return a.loadPriority - b.loadPriority;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function computeStartOrder(nodes: readonly GraphNode[], alreadyRunning: ReadonlySet<string> = new Set()): StartOrder {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const declined = new Map<string, string>();

  // Missing hard dependencies decline, recursively.
  let changed = true;
  while (changed) {
    changed = false;
    for (const n of nodes) {
      if (declined.has(n.name)) continue;
      for (const r of n.requires) {
        if (alreadyRunning.has(r)) continue;
        if (!byName.has(r)) {
          declined.set(n.name, `missing dependency ${r}`);
          changed = true;
          break;
        }
        if (declined.has(r)) {
          declined.set(n.name, `dependency ${r} declined`);
          changed = true;
          break;
        }
      }
    }
  }

  const live = nodes.filter((n) => !declined.has(n.name));
  const liveNames = new Set(live.map((n) => n.name));
  const deps = new Map<string, string[]>();
  const indegree = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const n of live) {
    const d = [...n.requires, ...n.optional].filter((x) => liveNames.has(x) && x !== n.name);
    deps.set(n.name, d);
    indegree.set(n.name, d.length);
    for (const x of d) (dependents.get(x) ?? dependents.set(x, []).get(x)!).push(n.name);
  }
  const ready = live.filter((n) => indegree.get(n.name) === 0);
  const order: string[] = [];
  while (ready.length > 0) {
    ready.sort(rankCompare);
    const n = ready.shift()!;
    order.push(n.name);
    for (const m of dependents.get(n.name) ?? []) {
      const k = indegree.get(m)! - 1;
      indegree.set(m, k);
      if (k === 0) ready.push(byName.get(m)!);
    }
  }
  if (order.length < live.length) {
    const placed = new Set(order);
    const stuck = live.filter((n) => !placed.has(n.name)).map((n) => n.name);
    const cycle = findCycle(stuck, deps);
    for (const s of stuck) {
      declined.set(s, cycle.includes(s) ? `dependency cycle: ${cycle.join(' -> ')}` : `depends on a dependency cycle (${cycle.join(' -> ')})`);
    }
  }
  return { order, declined };
}

function findCycle(stuck: string[], deps: Map<string, string[]>): string[] {
  const inStuck = new Set(stuck);
  for (const start of stuck) {
    const path: string[] = [];
    const seen = new Map<string, number>();
    let cur: string | undefined = start;
    while (cur !== undefined && !seen.has(cur)) {
      seen.set(cur, path.length);
      path.push(cur);
      cur = (deps.get(cur) ?? []).find((d) => inStuck.has(d));
    }
    if (cur !== undefined) return [...path.slice(seen.get(cur)!), cur];
  }
  return stuck;
}
