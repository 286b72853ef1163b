/**
 * A node with res_pjsip_outbound_publish (loaded by path until the catalogue lists it) and a
 * test event publisher registered the way res_pjsip_exten_state will register its own: through
 * the `outbound_publish` service into the core's eventPublishers registry.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventPublisher, OutboundPublishClient, PublishBody, PublishedState } from '../../core/pubsub/types.js';
import type { Disposer } from '../../core/registry/registry.js';
import { catalogueNames } from '../../modules/index.js';
import type { OutboundEventPublisher, OutboundPublishService } from '../../modules/res_pjsip_outbound_publish/service.js';
import { makeConfigDir, startInProcess, type InProcessNode } from '../support/node-harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/modules/res_pjsip_outbound_publish.js */
export const MODULE_JS = path.resolve(here, '..', '..', 'modules', 'res_pjsip_outbound_publish.js');

export function modulesConf(): string {
  const builtIn = catalogueNames().includes('res_pjsip_outbound_publish');
  // The real event publishers (exten_state for presence/dialog, publish_asterisk for asterisk-*)
  // stay out: these tests register their own TestPublisher for those events.
  return `[modules]\nautoload = yes\nnoload => res_pjsip_exten_state\nnoload => res_pjsip_publish_asterisk\n${builtIn ? '' : `load => ${MODULE_JS}\n`}`;
}

export const UDP_TRANSPORT = `
[udp]
type = transport
protocol = udp
bind = 127.0.0.1:0
`;

/** An event publisher holding one body per resource, like exten_state holds one per hint. */
export class TestPublisher implements OutboundEventPublisher {
  readonly clients = new Set<OutboundPublishClient>();
  readonly state = new Map<string | undefined, PublishBody>();
  readonly fullStateCalls: Array<string | undefined> = [];
  /** needsNewPublication's answer (none: never a new publication); every question is recorded (next undefined: a refresh). */
  newPublicationWhen: ((published: PublishBody, next: PublishBody | undefined) => boolean) | undefined;
  readonly newPublicationAsked: Array<{ published: string; next: string | undefined }> = [];
  refuse: string | undefined;
  starts = 0;
  stops = 0;

  constructor(readonly eventName: string) {}

  startPublishing(client: OutboundPublishClient): string | undefined {
    if (this.refuse !== undefined) return this.refuse;
    this.starts++;
    this.clients.add(client);
    return undefined;
  }

  stopPublishing(client: OutboundPublishClient): void {
    this.stops++;
    this.clients.delete(client);
  }

  needsNewPublication(_client: OutboundPublishClient, published: PublishBody, next: PublishBody | undefined): boolean {
    this.newPublicationAsked.push({ published: published.text, next: next?.text });
    return this.newPublicationWhen?.(published, next) ?? false;
  }

  fullState(_client: OutboundPublishClient, resource?: string): PublishedState[] {
    this.fullStateCalls.push(resource);
    const out: PublishedState[] = [];
    for (const [r, body] of this.state) {
      if (resource !== undefined && r !== resource) continue;
      out.push(r === undefined ? { body } : { resource: r, body });
    }
    return out;
  }

  /** A state change: kept, and published through every started client. */
  set(resource: string | undefined, text: string, contentType = 'application/pidf+xml'): void {
    const body = { contentType, text };
    this.state.set(resource, body);
    for (const c of this.clients) c.publish(resource, body);
  }

  drop(resource: string | undefined): void {
    this.state.delete(resource);
    for (const c of this.clients) c.remove(resource);
  }
}

export interface PublishNode extends InProcessNode {
  dir: string;
  service: OutboundPublishService;
  /** Registers a publisher for `event` as a module other than ours would. */
  register(publisher: EventPublisher): Disposer;
  writePjsip(text: string): void;
}

export async function startPublishNode(pjsipConf: string, extra: Record<string, string> = {}): Promise<PublishNode> {
  const dir = makeConfigDir({
    'modules.conf': modulesConf(),
    'pjsip.conf': pjsipConf,
    'extensions.conf': '[default]\n',
    ...extra,
  });
  const n = await startInProcess(dir, { noControlSocket: true });
  const service = n.node.core.services.get('outbound_publish') as OutboundPublishService | undefined;
  if (!service) throw new Error(`outbound_publish service missing; log:\n${n.logs.slice(-40).join('\n')}`);
  const view = n.node.core.view('test_publisher', (d) => d);
  return {
    ...n,
    dir,
    service,
    register: (p) => service.registerEventPublisher(view.eventPublishers, p),
    writePjsip: (text) => writeFileSync(path.join(dir, 'pjsip.conf'), text),
  };
}

/** A little PIDF document for `user`, with `note` to tell bodies apart. */
export function pidf(user: string, note: string, host = '127.0.0.1'): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:${user}@${host}">\n` +
    ` <tuple id="${user}">\n  <status>\n   <basic>open</basic>\n  </status>\n </tuple>\n` +
    ` <note>${note}</note>\n</presence>\n`
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
