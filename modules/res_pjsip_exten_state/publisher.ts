/**
 * Extension state publishing (res_pjsip_exten_state's outbound side, the "Publishing Extension
 * State" seed): an outbound-publish with event=presence or event=dialog and `@body` publishes the
 * state of every hint whose context matches `@context` and extension matches `@exten` to an event
 * state compositor, one publication per extension with multi_user=yes. Unlike Asterisk, the
 * current state of every matching hint goes out when the client starts (after a restart too).
 *
 * Dialog event, terminated: an idle (or unavailable) hint is published as a dialog in state
 * terminated, as Asterisk does. Kamailio's presence module (presentity.c, update_presentity)
 * then ignores every conditional PUBLISH of that presentity but a remove: for Event: dialog it
 * looks up the body stored under the SIP-If-Match ETag and, when all its dialogs are
 * terminated (ps_match_dialog_state), answers 200 with a newly made ETag but stores nothing
 * ("Trying to update an already terminated state. Skipping update."). A modify is lost (its
 * watchers never see the hint ring or go busy), a refresh does not extend the presentity (it
 * lapses at its first expiry), and the ETag answered is unknown to it (the next conditional
 * PUBLISH gets 412). Only a remove (Expires: 0, handled before that check) or a new initial
 * PUBLISH gets through. So, unlike Asterisk, while the body the ESC holds is a terminated
 * dialog, every change and every refresh starts a new publication: remove, then initial
 * (needsNewPublication, asked by the outbound-publish client right before each modify and
 * refresh). The trigger is the body the ESC holds, whatever comes next, because that is all
 * Kamailio looks at: the new state does not matter (terminated to terminated, e.g. idle to
 * unavailable, is skipped as well), and with coalescing our previous state change may never
 * have been sent. The price, at any ESC: an idle hint is refreshed by a remove and an initial
 * (two PUBLISHes instead of one), which at Kamailio beats the alternative (the presentity gone
 * for most of each refresh period, then a 412 and an initial).
 */
import { errorMessage } from '../../core/errors.js';
import type { CoreView } from '../../core/index.js';
import type { Logger } from '../../core/log.js';
import { renderBody } from '../../core/pubsub/bodies/render.js';
import type { DialogInfoVersionState, ExtenStateData } from '../../core/pubsub/body-data.js';
import type { EventPublisher, OutboundPublishClient, PublishBody, PublishedState } from '../../core/pubsub/types.js';
import type { ExtensionStateChange } from '../../core/state/extension-state.js';
import type { OutboundEventPublisher } from '../res_pjsip_outbound_publish/service.js';

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

/** `<dialog ...>...</dialog>` elements (any namespace prefix), not `<dialog-info>`. */
const DIALOG_ELEMENT = /<(?:[\w.-]+:)?dialog(?=[\s>\/])[^>]*?(?:\/>|>([\s\S]*?)<\/(?:[\w.-]+:)?dialog\s*>)/g;
/** The `<state>` child of a dialog. */
const DIALOG_STATE = /<(?:[\w.-]+:)?state(?:\s[^>]*)?>([^<]*)<\/(?:[\w.-]+:)?state\s*>/;

/**
 * True when a dialog-info document has dialogs and every one of them that has a state is
 * `terminated`: Kamailio's ps_match_dialog_state_from_body, the test it applies to the body it
 * holds before accepting a modify. Not dialog-info (no dialog elements): false.
 */
export function dialogsTerminated(text: string): boolean {
  let matched = false;
  for (const m of text.matchAll(DIALOG_ELEMENT)) {
    const state = m[1] !== undefined ? DIALOG_STATE.exec(m[1])?.[1]?.trim() : undefined;
    if (state === undefined) continue;
    if (state !== 'terminated') return false;
    matched = true;
  }
  return matched;
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

  const publisher: OutboundEventPublisher = {
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
    ...(eventName === 'dialog'
      ? {
          needsNewPublication: (_client: OutboundPublishClient, published: PublishBody) => dialogsTerminated(published.text),
        }
      : {}),
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
