/**
 * res_mwi_external: mailbox state (new/old/urgent per mailbox@context) set from outside
 * voicemail, kept in the embedded database. CLI `mwi update` and `mwi show`
 * (with Asterisk's `mwi show mailboxes` and `mwi delete mailbox` too).
 */
import { TstError } from '../core/errors.js';
import { defineModule, type ModuleContext } from '../core/module.js';
import type { CliIo } from '../core/cli/types.js';

function count(s: string | undefined, what: string): number {
  if (s === undefined) return 0;
  if (!/^\d+$/.test(s)) throw new TstError('TST_ERR_STATE', `'${s}' is not a valid ${what} message count`);
  return Number(s);
}

function show(ctx: ModuleContext, io: CliIo): void {
  const row = (n: string | number, o: string | number, u: string | number, mbox: string, eid: string) =>
    `${String(n).padStart(6)} ${String(o).padStart(6)} ${String(u).padStart(6)} ${mbox.padEnd(40)} ${eid}\n`;
  let out = row('New', 'Old', 'Urgent', 'Mailbox', 'EID');
  for (const m of ctx.core.mailboxes.list().sort((a, b) => a.mailbox.localeCompare(b.mailbox))) {
    out += row(m.new, m.old, m.urgent, m.mailbox, m.eid === ctx.core.eid ? `${m.eid} (local)` : m.eid);
  }
  io.print(out);
}

export default defineModule({
  info: {
    name: 'res_mwi_external',
    description: 'Core external MWI resource',
    supportLevel: 'core',
    loadPriority: 50,
  },
  load(ctx) {
    const update = async (args: string[], io: CliIo) => {
      if (args.length < 1 || args.length > 4) throw new TstError('TST_ERR_CLI_USAGE', 'Usage: mwi update <mailbox@context> <new> <old> [urgent]');
      const [mbox, n, o, u] = args as [string, string | undefined, string | undefined, string | undefined];
      const counts = { new: count(n, 'new'), old: count(o, 'old'), urgent: count(u, 'urgent') };
      await ctx.core.mailboxes.update(mbox, counts);
      io.print(`Updated mailbox ${mbox}: new ${counts.new}, old ${counts.old}, urgent ${counts.urgent}\n`);
    };
    ctx.core.cli.register('mwi update', { command: 'mwi update', usage: 'mwi update <mailbox@context> <new> <old> [urgent]', summary: 'Update a mailbox', handler: update });
    ctx.core.cli.register('mwi update mailbox', { command: 'mwi update mailbox', usage: 'mwi update mailbox <mailbox> [<new> [<old> [<urgent>]]]', summary: 'Update a mailbox (Asterisk form)', handler: update });
    const showCmd = (args: string[], io: CliIo) => {
      if (args.length > 0) throw new TstError('TST_ERR_CLI_USAGE', 'Usage: mwi show');
      show(ctx, io);
    };
    ctx.core.cli.register('mwi show', { command: 'mwi show', usage: 'mwi show', summary: 'List mailboxes with their counts and origin', handler: showCmd });
    ctx.core.cli.register('mwi show mailboxes', { command: 'mwi show mailboxes', usage: 'mwi show mailboxes', summary: 'List mailboxes (Asterisk form)', handler: showCmd });
    ctx.core.cli.register('mwi delete mailbox', {
      command: 'mwi delete mailbox',
      usage: 'mwi delete mailbox <mailbox>',
      summary: 'Delete a mailbox',
      async handler(args, io) {
        if (args.length !== 1) throw new TstError('TST_ERR_CLI_USAGE', 'Usage: mwi delete mailbox <mailbox>');
        if (!(await ctx.core.mailboxes.delete(args[0]!))) throw new TstError('TST_ERR_STATE', `Mailbox ${args[0]!} not found`);
        io.print(`Deleted mailbox ${args[0]!}\n`);
      },
    });
  },
});
