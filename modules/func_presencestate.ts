/**
 * func_presencestate: `CustomPresence:` presence states (not_set, unavailable, available, away,
 * xa, chat, dnd, with subtype and message), kept in the embedded database (family
 * CustomPresence), plus `presencestate list|change`.
 */
import { TstError } from '../core/errors.js';
import { defineModule } from '../core/module.js';
import { parsePresenceChangeArgument, PresenceState, presenceStateToString } from '../core/state/presence-state.js';

const RULE = '---------------------------------------------------------------------\n';

export default defineModule({
  info: {
    name: 'func_presencestate',
    description: 'Gets or sets a presence state in the dialplan',
    supportLevel: 'core',
  },
  load(ctx) {
    ctx.track(ctx.core.presence.attachCustom());
    ctx.core.cli.register('presencestate list', {
      command: 'presencestate list',
      usage: 'presencestate list',
      summary: 'List currently know custom presence states',
      handler(args, io) {
        if (args.length > 0) throw new TstError('TST_ERR_CLI_USAGE', 'Usage: presencestate list');
        let out = `\n${RULE}--- Custom Presence States ------------------------------------------\n${RULE}---\n`;
        for (const p of ctx.core.presence.listCustom()) {
          out +=
            `--- Name: '${p.provider}'\n---    State: '${presenceStateToString(p.state)}'\n` +
            `---    Subtype: '${p.subtype}'\n---    Message: '${p.message}'\n` +
            `---    Base64 Encoded: '${p.encoded ? 'yes' : 'no'}'\n---\n`;
        }
        io.print(`${out}${RULE}${RULE}\n`);
      },
    });
    ctx.core.cli.register('presencestate change', {
      command: 'presencestate change',
      usage: 'presencestate change <entity> <state>[,<subtype>[,message]]',
      summary: 'Change a custom presence state',
      async handler(args, io) {
        if (args.length !== 2) throw new TstError('TST_ERR_CLI_USAGE', 'Usage: presencestate change <entity> <state>[,<subtype>[,message]]');
        const [dev, value] = args as [string, string];
        if (!/^custompresence:/i.test(dev) || dev.length <= 'CustomPresence:'.length) {
          throw new TstError('TST_ERR_STATE', "The presencestate command can only be used to set 'CustomPresence:' presence state!");
        }
        const p = parsePresenceChangeArgument(value);
        if (p.state === PresenceState.NOT_SET) throw new TstError('TST_ERR_STATE', 'Invalid presence state value: not_set');
        io.print(`Changing ${dev} to ${value}\n`);
        await ctx.core.presence.set(`CustomPresence:${dev.slice('CustomPresence:'.length)}`, p.state, p.subtype, p.message);
      },
    });
  },
});
