/**
 * `pjsip show ...` and `pjsip set logger`, shaped like Asterisk's res_pjsip CLI output
 * (header legend, a `====` rule, one block per object). Passwords are never printed.
 */
import { TstError } from '../../core/errors.js';
import type { CoreView } from '../../core/index.js';
import type { Disposer } from '../../core/registry/registry.js';
import type { CliCommand } from '../../core/cli/types.js';
import { deviceStateDescription } from '../../core/state/device-state.js';
import type { SourceInfo } from '../../core/sip/transport/types.js';
import type { PjsipServiceImpl } from './pjsip-service.js';
import type { AuthObject, EndpointObject, IdentifyObject, TransportObject } from './object-types.js';

const RULE = '==========================================================================================\n';

function usage(u: string): never {
  throw new TstError('TST_ERR_CLI_USAGE', `Usage: ${u}`);
}

function endpointState(core: CoreView, name: string): string {
  // "Not in use" is what Asterisk prints for an endpoint with contacts and no calls.
  return deviceStateDescription(core.devices.getState(`PJSIP/${name}`));
}

function endpointBlock(core: CoreView, svc: PjsipServiceImpl, e: EndpointObject, detail: boolean): string {
  let out = `\n Endpoint:  ${e.id.padEnd(52)} ${endpointState(core, e.id).padEnd(12)}  0 of inf\n`;
  for (const a of e.auth) out += `     InAuth:  ${a}/${svc.auth(a)?.username ?? ''}\n`;
  for (const a of e.outbound_auth) out += `    OutAuth:  ${a}/${svc.auth(a)?.username ?? ''}\n`;
  for (const name of e.aors) {
    const aor = svc.aor(name);
    out += `        Aor:  ${name.padEnd(52)} ${aor ? aor.max_contacts : '?'}\n`;
    for (const c of svc.contacts(name)) out += `      Contact:  ${`${name}/${c.uri}`.padEnd(45)} ${c.dynamic ? 'Avail' : 'NonQual'}\n`;
  }
  if (e.transport) out += `  Transport:  ${e.transport}\n`;
  if (detail) {
    out += '\n';
    for (const [k, v] of Object.entries(e)) {
      if (k === 'source' || k === 'extended' || k === 'patterned' || k === 'type') continue;
      out += ` ${k.padEnd(38)}: ${Array.isArray(v) ? v.map(String).join(',') : String(v ?? '')}\n`;
    }
  }
  return out;
}

export function pjsipCommands(core: CoreView, svc: PjsipServiceImpl, logger: { set(on: boolean): void }): CliCommand[] {
  return [
    {
      command: 'pjsip show endpoints',
      usage: 'pjsip show endpoints [like <regex>]',
      summary: 'List PJSIP Endpoints',
      handler(args, io) {
        let re: RegExp | undefined;
        if (args.length > 0) {
          if (args.length !== 2 || args[0] !== 'like') usage('pjsip show endpoints [like <regex>]');
          re = new RegExp(args[1]!);
        }
        const eps = svc.endpoints().filter((e) => !re || re.test(e.id)).sort((a, b) => a.id.localeCompare(b.id));
        if (eps.length === 0) {
          io.print('\nNo objects found.\n\n');
          return;
        }
        let out =
          '\n Endpoint:  <Endpoint/CID.....................................>  <State.....>  <Channels.>\n' +
          '    I/OAuth:  <AuthId/UserName...........................................................>\n' +
          '        Aor:  <Aor............................................>  <MaxContact>\n' +
          '      Contact:  <Aor/ContactUri..........................> <Hash....> <Status> <RTT(ms)..>\n' +
          '  Transport:  <TransportId........>  <Type>  <cos>  <tos>  <BindAddress..................>\n' +
          RULE;
        for (const e of eps) out += endpointBlock(core, svc, e, false);
        io.print(`${out}\n\nObjects found: ${eps.length}\n\n`);
      },
    },
    {
      command: 'pjsip show endpoint',
      usage: 'pjsip show endpoint <id>',
      summary: 'Show PJSIP Endpoint(s) detail',
      handler(args, io) {
        if (args.length !== 1) usage('pjsip show endpoint <id>');
        const e = svc.endpoint(args[0]!);
        if (!e) throw new TstError('TST_ERR_CLI_USAGE', `Unable to find object ${args[0]!}.`);
        io.print(endpointBlock(core, svc, e, true));
      },
    },
    {
      command: 'pjsip show aors',
      usage: 'pjsip show aors',
      summary: 'List PJSIP Aors',
      handler(_args, io) {
        const aors = core.sorcery.retrieveAll('aor').sort((a, b) => a.id.localeCompare(b.id));
        let out = '\n      Aor:  <Aor..............................................>  <MaxContact>\n    Contact:  <Aor/ContactUri............................> <Hash....> <Status> <RTT(ms)..>\n' + RULE;
        for (const a of aors) {
          const aor = svc.aor(a.id)!;
          out += `\n      Aor:  ${a.id.padEnd(52)} ${aor.max_contacts}\n`;
          for (const c of svc.contacts(a.id)) out += `    Contact:  ${`${a.id}/${c.uri}`.padEnd(45)} ${c.dynamic ? 'Avail' : 'NonQual'}\n`;
        }
        io.print(`${out}\n\nObjects found: ${aors.length}\n\n`);
      },
    },
    {
      command: 'pjsip show contacts',
      usage: 'pjsip show contacts',
      summary: 'List PJSIP Contacts',
      handler(_args, io) {
        const rows = svc.location.all().sort((a, b) => a.aor.localeCompare(b.aor) || a.uri.localeCompare(b.uri));
        let out = '\n  Contact:  <Aor/ContactUri............................> <Hash....> <Status> <RTT(ms)..>\n' + RULE;
        const now = Date.now();
        for (const c of rows) {
          const left = Math.max(0, Math.round((c.expiresAt - now) / 1000));
          out += `\n  Contact:  ${`${c.aor}/${c.uri}`.padEnd(45)} ${'Avail'.padEnd(8)} expires in ${left}s ${c.flow ? `via ${c.flow.protocol.toUpperCase()} ${c.flow.address}:${c.flow.port}` : ''} ${c.userAgent ?? ''}\n`;
        }
        io.print(`${out}\n\nObjects found: ${rows.length}\n\n`);
      },
    },
    {
      command: 'pjsip show auths',
      usage: 'pjsip show auths',
      summary: 'List PJSIP Auths',
      handler(_args, io) {
        const auths = core.sorcery.retrieveAll<AuthObject>('auth').sort((a, b) => a.id.localeCompare(b.id));
        let out = '\n I/OAuth:  <AuthId/UserName.............................................................>\n' + RULE;
        for (const a of auths) out += `\n     Auth:  ${`${a.id}/${a.username}`.padEnd(52)} (${a.auth_type}${a.realm ? `, realm ${a.realm}` : ''})\n`;
        io.print(`${out}\n\nObjects found: ${auths.length}\n\n`);
      },
    },
    {
      command: 'pjsip show transports',
      usage: 'pjsip show transports',
      summary: 'List PJSIP Transports',
      handler(_args, io) {
        const objs = core.sorcery.retrieveAll<TransportObject>('transport').sort((a, b) => a.id.localeCompare(b.id));
        let out = '\nTransport:  <TransportId........>  <Type>  <cos>  <tos>  <BindAddress....................>\n' + RULE;
        for (const t of objs) {
          const live = svc.stack.listTransports().find((x) => x.name === t.id);
          const bound = live ? `${live.address.includes(':') ? `[${live.address}]` : live.address}:${live.port}` : 'not bound';
          out += `\nTransport:  ${t.id.padEnd(21)}  ${t.protocol.padEnd(6)}  ${String(t.cos).padStart(3)}  ${String(t.tos).padStart(3)}  ${bound}\n`;
        }
        io.print(`${out}\n\nObjects found: ${objs.length}\n\n`);
      },
    },
    {
      command: 'pjsip show identifies',
      usage: 'pjsip show identifies',
      summary: 'List PJSIP Identifies',
      handler(_args, io) {
        const objs = core.sorcery.retrieveAll<IdentifyObject>('identify').sort((a, b) => a.id.localeCompare(b.id));
        let out = '\n Identify:  <Identify/Endpoint.........................................................>\n      Match:  <criteria.........................>\n' + RULE;
        for (const i of objs) {
          out += `\n Identify:  ${`${i.id}/${i.endpoint}`.padEnd(52)}\n`;
          for (const m of i.match) out += `      Match:  ${m.kind === 'host' ? m.host : `${m.negate ? '!' : ''}${m.address}/${m.prefix}`}${m.port ? `:${m.port}` : ''}\n`;
          if (i.match_header) out += `      Match:  ${i.match_header}\n`;
        }
        io.print(`${out}\n\nObjects found: ${objs.length}\n\n`);
      },
    },
    {
      command: 'pjsip set logger',
      usage: 'pjsip set logger {on|off}',
      summary: 'Enable/Disable PJSIP Logger Output',
      handler(args, io) {
        if (args.length !== 1 || (args[0] !== 'on' && args[0] !== 'off')) usage('pjsip set logger {on|off}');
        logger.set(args[0] === 'on');
        io.print(`PJSIP Logging ${args[0] === 'on' ? 'enabled' : 'disabled'}\n`);
      },
    },
  ];
}

/** Formats a message for the SIP logger; credentials are masked. */
export function formatLoggedMessage(direction: 'in' | 'out', data: Buffer, peer: SourceInfo): string {
  const text = data
    .toString('utf8')
    .replace(/^((?:Proxy-)?Authorization:\s*Digest\b.*?\bresponse=)"?[0-9a-fA-F]+"?/gim, '$1"<hidden>"');
  const where = `${peer.protocol.toUpperCase()}:${peer.remoteAddress}:${peer.remotePort}`;
  return `<--- ${direction === 'in' ? `Received SIP message (${data.length} bytes) from ${where}` : `Transmitting SIP message (${data.length} bytes) to ${where}`} --->\n${text}\n`;
}

export function registerAll(core: CoreView, cmds: CliCommand[]): Disposer[] {
  return cmds.map((c) => core.cli.register(c.command, c));
}
