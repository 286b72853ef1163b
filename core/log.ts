/**
 * Log lines shaped like Asterisk's: `[Nov 24 04:13:29] VERBOSE[1234] res_pjsip_pubsub: text`.
 * A Logger is cheap to create (one per module); all of them write to the node's sinks.
 */
export type LogLevel = 'ERROR' | 'WARNING' | 'NOTICE' | 'VERBOSE' | 'DEBUG';

const LEVEL_RANK: Record<LogLevel, number> = { ERROR: 0, WARNING: 1, NOTICE: 2, VERBOSE: 3, DEBUG: 4 };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export type LogSink = (line: string, level: LogLevel) => void;

export interface Logger {
  error(msg: string): void;
  warning(msg: string): void;
  notice(msg: string): void;
  verbose(msg: string): void;
  debug(msg: string): void;
  child(source: string): Logger;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function formatTimestamp(d: Date): string {
  return `${MONTHS[d.getMonth()]} ${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The node's log hub: level threshold and sinks shared by every Logger made from it. */
export class LogHub {
  level: LogLevel = 'VERBOSE';
  private readonly sinks = new Set<LogSink>();

  addSink(sink: LogSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] <= LEVEL_RANK[this.level];
  }

  write(level: LogLevel, source: string, msg: string): void {
    if (!this.enabled(level) || this.sinks.size === 0) return;
    const line = `[${formatTimestamp(new Date())}] ${level}[${process.pid}] ${source}: ${msg}`;
    for (const sink of this.sinks) sink(line, level);
  }

  logger(source: string): Logger {
    const write = (level: LogLevel) => (msg: string) => this.write(level, source, msg);
    return {
      error: write('ERROR'),
      warning: write('WARNING'),
      notice: write('NOTICE'),
      verbose: write('VERBOSE'),
      debug: write('DEBUG'),
      child: (s: string) => this.logger(s),
    };
  }
}

export function parseLogLevel(s: string): LogLevel | undefined {
  const u = s.trim().toUpperCase();
  return u in LEVEL_RANK ? (u as LogLevel) : undefined;
}
