/** `pjsip show|list subscriptions inbound` and `pjsip show subscription inbound <id>`. */
import { TstError } from '../../core/errors.js';
import type { CliCommand } from '../../core/cli/types.js';
import type { Notifier } from './notifier.js';
import { ListSubscription } from './list-subscription.js';
import type { InboundSubscription } from './subscription.js';

function filtered(n: Notifier, args: string[], usage: string): InboundSubscription[] {
  let re: RegExp | undefined;
  if (args.length > 0) {
    if (args.length !== 2 || args[0] !== 'like') throw new TstError('TST_ERR_CLI_USAGE', `Usage: ${usage}`);
    re = new RegExp(args[1]!);
  }
  return [...n.subscriptions.values()]
    .filter((s) => !re || re.test(s.endpoint.id) || re.test(s.resource))
    .sort((a, b) => a.endpoint.id.localeCompare(b.endpoint.id) || a.resource.localeCompare(b.resource) || a.id.localeCompare(b.id));
}

export function pubsubCommands(n: Notifier): CliCommand[] {
  return [
    {
      command: 'pjsip list subscriptions inbound',
      usage: 'pjsip list subscriptions inbound [like <regex>]',
      summary: 'List active inbound subscriptions',
      handler(args, io) {
        const subs = filtered(n, args, 'pjsip list subscriptions inbound [like <regex>]');
        let out = `${'Endpoint'.padEnd(20)} ${'Resource'.padEnd(30)} ${'Event'.padEnd(16)} ${'Call ID'.padEnd(40)} Expiry\n`;
        for (const s of subs) out += `${s.endpoint.id.padEnd(20)} ${s.resource.padEnd(30)} ${s.eventName.padEnd(16)} ${s.dialog.state.callId.padEnd(40)} ${s.remainingSeconds}\n`;
        io.print(`${out}\nObjects found: ${subs.length}\n`);
      },
    },
    {
      command: 'pjsip show subscriptions inbound',
      usage: 'pjsip show subscriptions inbound [like <regex>]',
      summary: 'Show active inbound subscriptions',
      handler(args, io) {
        const subs = filtered(n, args, 'pjsip show subscriptions inbound [like <regex>]');
        let out = '';
        for (const s of subs) {
          out +=
            `Endpoint: ${s.endpoint.id}/${s.remoteUri}\n` +
            `Id: ${s.id}  Resource: ${s.resource}  Event: ${s.eventName}  Type: ${s.mediaType}  Expiry: ${s.remainingSeconds}\n\n`;
        }
        io.print(`${out}Objects found: ${subs.length}\n`);
      },
    },
    {
      command: 'pjsip show subscription inbound',
      usage: 'pjsip show subscription inbound <id>',
      summary: 'Show one inbound subscription',
      handler(args, io) {
        if (args.length !== 1) throw new TstError('TST_ERR_CLI_USAGE', 'Usage: pjsip show subscription inbound <id>');
        const s = n.subscriptions.get(args[0]!);
        if (!s) throw new TstError('TST_ERR_CLI_USAGE', `Unable to find subscription ${args[0]!}`);
        const d = s.dialog.state;
        const rows: Array<[string, string | number]> = [
          ['Id', s.id],
          ['Endpoint', s.endpoint.id],
          ['Resource', s.resource],
          ['Event', s.eventName],
          ['Accept', s.mediaType],
          ['Presentity', s.localUri],
          ['Watcher', s.remoteUri],
          ['User-Agent', s.userAgent],
          ['Call-ID', d.callId],
          ['Local tag', d.localTag],
          ['Remote tag', d.remoteTag],
          ['Remote target', d.remoteTarget],
          ['Next CSeq', d.localCseq + 1],
          ['Expiry (secs)', s.remainingSeconds],
          ['NOTIFYs sent', s.notifiesSent],
          [s.isList ? 'RLMI version' : 'Body version', s.bodyState.version],
        ];
        if (s instanceof ListSubscription) rows.push(['List resources', s.resources().join(', ')]);
        io.print(`${rows.map(([k, v]) => `${k.padEnd(16)}: ${v}`).join('\n')}\n`);
      },
    },
  ];
}
