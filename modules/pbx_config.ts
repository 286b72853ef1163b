/**
 * pbx_config: the dialplan from extensions.conf, as far as tsterisk needs it: hints (with
 * display names, presence providers, pattern hints) and `autohints=yes` contexts, handed to the
 * core's extension state engine. `core show hints` prints them as Asterisk does.
 */
import { formatIssue } from '../conf/types.js';
import { TstError } from '../core/errors.js';
import { defineModule, type ModuleContext } from '../core/module.js';
import { extensionStateToString } from '../core/state/extension-state.js';
import { presenceStateToString } from '../core/state/presence-state.js';
import { col } from '../loader/printf.js';

const CONFIG = 'extensions.conf';

function loadHints(ctx: ModuleContext): void {
  const parsed = ctx.core.config.read(CONFIG);
  if (!parsed.found) ctx.log.notice(`${CONFIG} not found; no hints`);
  const issues = ctx.core.extensions.loadDialplan(parsed.sections);
  for (const i of issues) (i.severity === 'error' ? ctx.log.error : ctx.log.warning)(formatIssue(i));
  ctx.log.verbose(`${ctx.core.extensions.listHints().length} hints loaded from ${CONFIG}`);
}

export default defineModule({
  info: {
    name: 'pbx_config',
    description: 'Text Extension Configuration',
    supportLevel: 'core',
    loadPriority: 40,
  },
  load(ctx) {
    loadHints(ctx);
    // Unloading the dialplan removes its hints (watchers get REMOVED), as destroying the contexts does.
    ctx.onUnload(() => ctx.core.extensions.applyHints([], []));
    ctx.core.cli.register('core show hints', {
      command: 'core show hints',
      usage: 'core show hints',
      summary: 'Show dialplan hints',
      handler(args, io) {
        if (args.length > 0) throw new TstError('TST_ERR_CLI_USAGE', 'Usage: core show hints');
        const hints = ctx.core.extensions.listHints();
        if (hints.length === 0) {
          io.print('There are no registered dialplan hints\n');
          return;
        }
        let out = '\n    -= Registered Asterisk Dial Plan Hints =-\n';
        for (const h of hints) {
          out +=
            `${col(`${h.exten}@${h.context}`, 30, { max: 30 })}: ${col(h.app, 60, { max: 60 })}  ` +
            `State:${col(extensionStateToString(h.state), 15, { max: 15 })} ` +
            `Presence:${col(presenceStateToString(h.presence.state), 15, { max: 15 })} ` +
            `Watchers ${String(h.watchers).padStart(2)}\n`;
        }
        io.print(`${out}----------------\n- ${hints.length} hints registered\n`);
      },
    });
    ctx.core.cli.register('dialplan reload', {
      command: 'dialplan reload',
      usage: 'dialplan reload',
      summary: 'Reload extensions and *only* extensions',
      handler(_args, io) {
        ctx.core.config.invalidate(CONFIG);
        loadHints(ctx);
        io.print('Dialplan reloaded.\n');
      },
    });
  },
  reload(ctx) {
    ctx.core.config.invalidate(CONFIG);
    loadHints(ctx);
  },
});
