/**
 * `pjsip show outbound-publishes [like <regex>]`: every outbound-publish object with, per
 * publication, its state, ETag, last response, and the seconds until the next refresh and until
 * expiry. Asterisk has no such command; the columns follow `pjsip show registrations`.
 */
import { TstError } from '../../core/errors.js';
import type { CliCommand } from '../../core/cli/types.js';
import type { OutboundPublishRuntime } from './runtime.js';

const USAGE = 'pjsip show outbound-publishes [like <regex>]';

function secondsUntil(at: number | undefined, now: number): string {
  return at === undefined ? '-' : String(Math.max(0, Math.round((at - now) / 1000)));
}

function row(cols: Array<[string, number]>): string {
  return cols.map(([text, width]) => text.padEnd(width)).join(' ').trimEnd();
}

export function outboundPublishCommands(rt: OutboundPublishRuntime): CliCommand[] {
  return [
    {
      command: 'pjsip show outbound-publishes',
      usage: USAGE,
      summary: 'Show outbound publications',
      handler(args, io) {
        let re: RegExp | undefined;
        if (args.length > 0) {
          if (args.length !== 2 || args[0] !== 'like') throw new TstError('TST_ERR_CLI_USAGE', `Usage: ${USAGE}`);
          try {
            re = new RegExp(args[1]!);
          } catch {
            throw new TstError('TST_ERR_CLI_USAGE', `Bad regular expression '${args[1]!}'`);
          }
        }
        const widths = { name: 20, event: 22, resource: 14, state: 12, etag: 30, last: 26, refresh: 7 };
        let out =
          row([
            ['<Outbound publish>', widths.name],
            ['<Event>', widths.event],
            ['<Resource>', widths.resource],
            ['<State>', widths.state],
            ['<ETag>', widths.etag],
            ['<Last response>', widths.last],
            ['<Refresh>', widths.refresh],
            ['<Expires>', 0],
          ]) + '\n';
        const now = Date.now();
        let count = 0;
        for (const c of rt.list()) {
          if (re && !re.test(c.name) && !re.test(c.event)) continue;
          count++;
          const pubs = c.listPublications();
          if (!c.running || pubs.length === 0) {
            const state = c.running ? 'Started' : c.startError !== undefined ? 'Refused' : 'Not started';
            out += row([
              [c.name, widths.name],
              [c.event, widths.event],
              ['-', widths.resource],
              [state, widths.state],
              ['-', widths.etag],
              [c.startError ?? '-', widths.last],
              ['-', widths.refresh],
              ['-', 0],
            ]) + '\n';
            continue;
          }
          for (const [resource, p] of pubs) {
            out += row([
              [c.name, widths.name],
              [c.event, widths.event],
              [resource === '' ? '-' : resource, widths.resource],
              [p.state, widths.state],
              [p.currentEtag ?? '-', widths.etag],
              [p.lastResponse === '' ? '-' : p.lastResponse, widths.last],
              [secondsUntil(p.nextRefreshAt, now), widths.refresh],
              [secondsUntil(p.expiresAt, now), 0],
            ]) + '\n';
          }
        }
        io.print(`${out}\nObjects found: ${count}\n`);
      },
    },
  ];
}
