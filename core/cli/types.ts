/** CLI commands, registered by the core and by modules, dispatched by words as Asterisk's CLI does. */
export interface CliIo {
  print(text: string): void;
}

export interface CliCommand {
  /** The fixed words, e.g. `module show`. */
  command: string;
  /** Full syntax, e.g. `module show [like <text>]`. */
  usage: string;
  summary: string;
  handler(args: string[], io: CliIo): void | Promise<void>;
}
