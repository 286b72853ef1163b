/**
 * Extension state publishing (res_pjsip_exten_state's outbound side, the "Publishing Extension
 * State" seed): an outbound-publish with event=presence or event=dialog and `@body` publishes the
 * state of every hint whose context matches `@context` and extension matches `@exten` to an event
 * state compositor, one publication per extension with multi_user=yes. Unlike Asterisk, the
 * current state of every matching hint goes out when the client starts (after a restart too).
 */
import { errorMessage } from '../../core/errors.js';
import type { CoreView } from '../../core/index.js';
import type { Logger } from '../../core/log.js';
import { renderBody } from '../../core/pubsub/bodies/render.js';
import type { DialogInfoVersionState, ExtenStateData } from '../../core/pubsub/body-data.js';
import type { EventPublisher, OutboundPublishClient, PublishedState } from '../../core/pubsub/types.js';
import type { ExtensionStateChange } from '../../core/state/extension-state.js';

interface ClientSetup {
  mediaType: string;
  context?: RegExp;
  exten?: RegExp;
  /** dialog-info version per extension (Asterisk keeps one per publisher and extension). */
  versions: Map<string, DialogInfoVersionState>;
}

const SETUP = 'exten_state_publish';

function compile(text: string | undefined, what: string): RegExp | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    return new RegExp(text);
  } catch {
    throw new Error(`invalid regular expression '${text}' for ${what}`);
  }
}

export function extenStatePublisher(core: CoreView, eventName: 'presence' | 'dialog', log: Logger): { publisher: EventPublisher; onChange(ch: ExtensionStateChange): void } {
  const clients = new Set<OutboundPublishClient>();

  const matches = (setup: ClientSetup, context: string, exten: string) =>
    (!setup.context || setup.context.test(context)) && (!setup.exten || setup.exten.test(exten));

  const body = (client: OutboundPublishClient, setup: ClientSetup, ch: { context: string; exten: string; state: number; presence: ExtenStateData['presence'] }): string | undefined => {
    const generator = core.bodyGenerators.get(setup.mediaType);
    if (!generator || generator.bodyKind !== 'exten_state') return undefined;
    let version = setup.versions.get(ch.exten);
    if (!version) {
      version = { version: 0 };
      setup.versions.set(ch.exten, version);
    }
    const uris = client.uris(ch.exten);
    const data: ExtenStateData = {
      exten: ch.exten,
      context: ch.context,
      local: uris.localUri,
      remote: uris.remoteUri,
      extenState: ch.state,
      presence: ch.presence,
      dialogInfo: version,
    };
    const supplements = core.bodySupplements.list(setup.mediaType).filter((s) => s.bodyKind === 'exten_state');
    return renderBody(generator, supplements as never, data as never);
  };

  const publisher: EventPublisher = {
    eventName,
    startPublishing(client) {
      const mediaType = client.extended.body?.trim().toLowerCase();
      if (!mediaType) return "no '@body' option: say which body type to publish";
      const g = core.bodyGenerators.get(mediaType);
      if (!g || g.bodyKind !== 'exten_state') return `no body generator for '${mediaType}'`;
      try {
        const setup: ClientSetup = { mediaType, versions: new Map() };
        const context = compile(client.extended.context, '@context');
        const exten = compile(client.extended.exten, '@exten');
        if (context) setup.context = context;
        if (exten) setup.exten = exten;
        client.data.set(SETUP, setup);
      } catch (e) {
        return errorMessage(e);
      }
      clients.add(client);
      return undefined;
    },
    stopPublishing(client) {
      clients.delete(client);
      client.data.delete(SETUP);
    },
    fullState(client, resource) {
      const setup = client.data.get(SETUP) as ClientSetup | undefined;
      if (!setup) return [];
      const out: PublishedState[] = [];
      for (const h of core.extensions.listHints()) {
        if (h.kind === 'pattern' || (resource !== undefined && h.exten !== resource) || !matches(setup, h.context, h.exten)) continue;
        const text = body(client, setup, h);
        if (text !== undefined) out.push({ resource: h.exten, body: { contentType: setup.mediaType, text } });
      }
      return out;
    },
  };

  const onChange = (ch: ExtensionStateChange) => {
    for (const client of clients) {
      const setup = client.data.get(SETUP) as ClientSetup | undefined;
      if (!setup || !matches(setup, ch.context, ch.exten)) continue;
      if (ch.reason === 'removed') {
        client.remove(ch.exten);
        continue;
      }
      try {
        const text = body(client, setup, ch);
        if (text !== undefined) client.publish(ch.exten, { contentType: setup.mediaType, text });
      } catch (e) {
        log.error(`Cannot publish ${eventName} of ${ch.exten}@${ch.context} via '${client.name}': ${errorMessage(e)}`);
      }
    }
  };
  return { publisher, onChange };
}
