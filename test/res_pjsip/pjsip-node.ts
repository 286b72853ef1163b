/** A node with res_pjsip on ephemeral UDP and TCP ports, and helpers to reach it. */
import type { PjsipService } from '../../modules/res_pjsip/service.js';
import { makeConfigDir, startInProcess, type InProcessNode } from '../support/node-harness.js';

export const BASE_PJSIP = `
[udp]
type = transport
protocol = udp
bind = 127.0.0.1:0

[tcp]
type = transport
protocol = tcp
bind = 127.0.0.1:0

[alice]
type = endpoint
auth = alice
aors = alice
context = default

[alice]
type = auth
username = alice
password = wonderland

[alice]
type = aor
max_contacts = 2
minimum_expiration = 60
maximum_expiration = 3600

[bob]
type = endpoint
aors = bob
identify_by = ip

[bob]
type = aor
max_contacts = 1
remove_existing = yes

[bob-ip]
type = identify
endpoint = bob
match = 127.0.0.2

[carol]
type = endpoint
aors = carol
auth = carol

[carol]
type = auth
username = carol
password = sha-only
supported_algorithms_uas = SHA-256

[carol]
type = aor
max_contacts = 1
contact = sip:carol-desk@127.0.0.1:5999
`;

export interface PjsipNode extends InProcessNode {
  dir: string;
  pjsip: PjsipService;
  udpPort: number;
  tcpPort: number;
}

export async function startPjsipNode(pjsipConf = BASE_PJSIP, extra: Record<string, string> = {}, dir?: string): Promise<PjsipNode> {
  const configDir =
    dir ??
    makeConfigDir({
      'modules.conf': '[modules]\nautoload=yes\n',
      'pjsip.conf': pjsipConf,
      'extensions.conf': '[default]\n',
      ...extra,
    });
  const n = await startInProcess(configDir, { noControlSocket: true });
  const pjsip = n.node.core.services.get('pjsip') as PjsipService;
  const ts = pjsip.stack.listTransports();
  return {
    ...n,
    dir: configDir,
    pjsip,
    udpPort: ts.find((t) => t.protocol === 'udp')?.port ?? 0,
    tcpPort: ts.find((t) => t.protocol === 'tcp')?.port ?? 0,
  };
}
