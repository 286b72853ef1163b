/**
 * func_devstate: `Custom:` device states, settable from the CLI and kept in the embedded
 * database (family CustomDevstate, as Asterisk's astdb), plus `devstate list|change`.
 * Unlike Asterisk, `devstate list` shows every known device state with the EID it came from.
 */
import { TstError } from '../core/errors.js';
import { defineModule } from '../core/module.js';
import { deviceStateToString, parseDeviceState } from '../core/state/device-state.js';

const RULE = '---------------------------------------------------------------------\n';

export default defineModule({
  info: {
    name: 'func_devstate',
    description: 'Gets or sets a device state in the dialplan',
    supportLevel: 'core',
  },
  load(ctx) {
    ctx.track(ctx.core.devices.attachCustom());
    ctx.core.cli.register('devstate list', {
      command: 'devstate list',
      usage: 'devstate list',
      summary: 'List currently known device states',
      handler(args, io) {
        if (args.length > 0) throw new TstError('TST_ERR_CLI_USAGE', 'Usage: devstate list');
        let out = `\n${RULE}--- Device States -----------------------------------------------------\n${RULE}---\n`;
        const rows = ctx.core.devices.list().sort((a, b) => a.device.localeCompare(b.device) || a.eid.localeCompare(b.eid));
        for (const r of rows) {
          const origin = r.eid === ctx.core.eid ? `${r.eid} (local)` : r.eid;
          out += `--- Name: '${r.device}'  State: '${deviceStateToString(r.state)}'  EID: '${origin}'\n---\n`;
        }
        io.print(`${out}${RULE}${RULE}\n`);
      },
    });
    ctx.core.cli.register('devstate change', {
      command: 'devstate change',
      usage: 'devstate change <device> <state>',
      summary: 'Change a custom device state',
      async handler(args, io) {
        if (args.length !== 2) throw new TstError('TST_ERR_CLI_USAGE', 'Usage: devstate change <device> <state>');
        const [dev, stateText] = args as [string, string];
        if (!/^custom:/i.test(dev)) throw new TstError('TST_ERR_STATE', "The devstate command can only be used to set 'Custom:' device state!");
        if (dev.length <= 'Custom:'.length) throw new TstError('TST_ERR_CLI_USAGE', 'Usage: devstate change <device> <state>');
        const st = parseDeviceState(stateText);
        if (st === undefined) throw new TstError('TST_ERR_STATE', `Unknown device state '${stateText}' (expected one of UNKNOWN NOT_INUSE INUSE BUSY INVALID UNAVAILABLE RINGING RINGINUSE ONHOLD)`);
        io.print(`Changing ${dev} to ${stateText}\n`);
        // Resolves once the state is on disk: an answered CLI command is durable.
        await ctx.core.devices.setCustom(dev, st);
      },
    });
  },
});
