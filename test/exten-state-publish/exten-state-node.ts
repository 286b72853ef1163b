/**
 * Shared pieces for the extension-state publishing tests: a node with res_pjsip_exten_state and
 * res_pjsip_outbound_publish really loaded (autoload, nothing noloaded), the hints of the brief,
 * and parsers that read a dialog-info or PIDF body field by field with the test XML reader.
 */
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { makeConfigDir, startInProcess, type InProcessNode } from '../support/node-harness.js';
import { attr, childrenNamed, readXml, type XmlNode } from '../support/xml-reader.js';
import { catalogueNames } from '../../modules/index.js';
import { MODULE_JS } from '../res_pjsip_outbound_publish/publish-node.js';

export const HINTS = `[users]
exten => 1000,hint,Custom:alice
exten => 1001,hint,Custom:bob

[other]
exten => 1000,hint,Custom:carol
`;

export const UDP_TRANSPORT = `
[udp]
type = transport
protocol = udp
bind = 127.0.0.1:0
`;

export function modulesConf(): string {
  // Nothing noloaded: res_pjsip_exten_state is the publisher under test.
  const builtIn = catalogueNames().includes('res_pjsip_outbound_publish');
  return `[modules]\nautoload = yes\n${builtIn ? '' : `load => ${MODULE_JS}\n`}`;
}

/** An outbound-publish section for extension state. */
export function extenStatePublish(name: string, o: { server: string; from?: string; event: 'dialog' | 'presence'; body: string; context?: string; exten?: string; expiration?: number }): string {
  return [
    `[${name}]`,
    'type = outbound-publish',
    `server_uri = ${o.server}`,
    `from_uri = ${o.from ?? o.server}`,
    `event = ${o.event}`,
    'multi_user = yes',
    ...(o.expiration !== undefined ? [`expiration = ${o.expiration}`] : []),
    `@body = ${o.body}`,
    ...(o.context !== undefined ? [`@context = ${o.context}`] : []),
    ...(o.exten !== undefined ? [`@exten = ${o.exten}`] : []),
    '',
  ].join('\n');
}

/** A dialog-info and a PIDF outbound-publish of the [users] hints matching `exten`, one ESC each. */
export function twoEscConf(dialogUri: string, presenceUri: string, f: { context: string; dialogExten: string; presenceExten: string }): string {
  return (
    UDP_TRANSPORT +
    extenStatePublish('esc-dialog', { server: dialogUri, event: 'dialog', body: 'application/dialog-info+xml', context: f.context, exten: f.dialogExten }) +
    extenStatePublish('esc-presence', { server: presenceUri, event: 'presence', body: 'application/pidf+xml', context: f.context, exten: f.presenceExten })
  );
}

export interface ExtenStateNode extends InProcessNode {
  dir: string;
  /** Stops this node and starts a new one on the same config folder (astdb included). */
  restart(): Promise<ExtenStateNode>;
}

/** `extensions` replaces HINTS as extensions.conf (new config folders only). */
export async function startExtenStateNode(pjsipConf: string, dir?: string, extensions = HINTS): Promise<ExtenStateNode> {
  const configDir =
    dir ??
    makeConfigDir({
      'modules.conf': modulesConf(),
      'pjsip.conf': pjsipConf,
      'extensions.conf': extensions,
    });
  if (dir !== undefined) writeFileSync(path.join(dir, 'pjsip.conf'), pjsipConf);
  const n = await startInProcess(configDir, { noControlSocket: true });
  const node: ExtenStateNode = {
    ...n,
    dir: configDir,
    restart: async () => {
      await n.stop();
      return startExtenStateNode(pjsipConf, configDir);
    },
  };
  return node;
}

export interface DialogInfoFields {
  namespace: string | null;
  version: number;
  state: string | undefined;
  entity: string | undefined;
  attributeOrder: string[];
  dialogs: Array<{ id: string | undefined; direction: string | undefined; state: string; hasLocal: boolean; attributeOrder: string[] }>;
}

export function parseDialogInfo(text: string): DialogInfoFields {
  const doc = readXml(text);
  const root = doc.root;
  if (root.localName !== 'dialog-info') throw new Error(`not dialog-info: <${root.name}>`);
  return {
    namespace: root.namespace,
    version: Number(attr(root, 'version')),
    state: attr(root, 'state'),
    entity: attr(root, 'entity'),
    attributeOrder: root.attributes.map((a) => a.name),
    dialogs: childrenNamed(root, 'dialog').map((d) => ({
      id: attr(d, 'id'),
      direction: attr(d, 'direction'),
      state: childrenNamed(d, 'state')[0]?.text.trim() ?? '',
      hasLocal: childrenNamed(d, 'local').length > 0,
      attributeOrder: d.attributes.map((a) => a.name),
    })),
  };
}

function descendants(n: XmlNode): XmlNode[] {
  return n.children.flatMap((c) => [c, ...descendants(c)]);
}

export interface PidfFields {
  entity: string | undefined;
  basic: string[];
  notes: string[];
  /** Local names of every element under an rpid/activities element (e.g. on-the-phone). */
  activities: string[];
}

export function parsePidf(text: string): PidfFields {
  const root = readXml(text).root;
  if (root.localName !== 'presence') throw new Error(`not PIDF: <${root.name}>`);
  const all = descendants(root);
  return {
    entity: attr(root, 'entity'),
    basic: all.filter((n) => n.localName === 'basic').map((n) => n.text.trim()),
    notes: all.filter((n) => n.localName === 'note').map((n) => n.text.trim()),
    activities: all.filter((n) => n.localName === 'activities').flatMap((a) => a.children.map((c) => c.localName)),
  };
}
