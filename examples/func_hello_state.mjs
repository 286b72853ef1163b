// An example third-party tsterisk module, written in plain JavaScript as anyone outside the
// project would write one. It adds a device state provider `Hello:<name>`: a name listed in
// hello.conf ([general] online = a, b) is NOT_INUSE, any other is UNAVAILABLE; and a CLI
// command `hello show`. Load it from modules.conf with its path:
//   load => /path/to/func_hello_state.mjs
// Everything it registers through ctx is undone automatically when it is unloaded.

const NOT_INUSE = 1; // DeviceState values, as Asterisk numbers them
const UNAVAILABLE = 5;

function readOnline(ctx) {
  const conf = ctx.core.config.read('hello.conf');
  const names = new Set();
  for (const section of conf.sections) {
    for (const v of section.variables) {
      if (v.name === 'online') for (const n of v.value.split(',')) if (n.trim()) names.add(n.trim());
    }
  }
  return names;
}

let online = new Set();

export default {
  info: {
    name: 'func_hello_state',
    description: 'Example: Hello: device states from hello.conf',
    supportLevel: 'extended',
    loadPriority: 45,
  },
  load(ctx) {
    online = readOnline(ctx);
    ctx.track(ctx.core.devices.registerProvider('Hello', (name) => (online.has(name) ? NOT_INUSE : UNAVAILABLE)));
    ctx.core.cli.register('hello show', {
      command: 'hello show',
      usage: 'hello show',
      summary: 'List the Hello: devices that are online',
      handler(_args, io) {
        io.print([...online].sort().map((n) => `Hello:${n} is online\n`).join('') || 'Nobody is online\n');
      },
    });
  },
  reload(ctx) {
    const before = online;
    online = readOnline(ctx);
    // Tell the core about every device whose state changed.
    for (const n of new Set([...before, ...online])) {
      ctx.core.devices.setState(`Hello:${n}`, online.has(n) ? NOT_INUSE : UNAVAILABLE);
    }
  },
};
