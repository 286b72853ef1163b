/**
 * Messages between the presence benchmark (parent) and its load client (a child process, so the
 * generator has its own event loop and its CPU can be measured apart from the node's).
 */

export interface ServerAddress {
  host: string;
  port: number;
}

export interface InitCommand {
  cmd: 'init';
  server: ServerAddress;
  /** UDP sockets (phones) to open; each has its own port and its own subscriptions. */
  sockets: number;
  /** SO_RCVBUF of each socket (bytes); 0 keeps the OS default. */
  recvBufferSize: number;
  /**
   * Give each socket its own loopback address (127.1.x.y) instead of 127.0.0.1, so the node
   * sees one source address per phone as it would in the field (its per-address SUBSCRIBE
   * rate limit then applies per phone).
   */
  addressPerSocket: boolean;
}

export interface Credentials {
  /** Username and password of item i (each phone its own endpoint/auth). */
  userPrefix: string;
  password: string;
}

export interface SubscribeCommand {
  cmd: 'subscribe';
  /** Subscriptions are remembered under this name (fan-out targets a group). */
  group: string;
  total: number;
  /** Offered rate (setups/s, open loop); 0 = closed loop with `window` setups outstanding. */
  rate: number;
  window: number;
  /** Open loop: items leave in bursts of this size (a booting phone subscribes all its keys at once). */
  batch: number;
  /** Extension of item i: `extens[i % extens.length]`, or extenBase + (i % extenCount). */
  extenBase: number;
  extenCount: number;
  /** Socket of item i: floor(i / perSocket) % sockets (perSocket 0 = round robin). */
  perSocket: number;
  /** From user without auth; with `auth`, user of item i is userPrefix + socket index. */
  user: string;
  auth?: Credentials;
  event: string;
  accept: string;
  expires: number;
  /** A setup not complete (200 and first NOTIFY) this long after its first send is a failure. */
  deadlineMs: number;
  /** Send OPTIONS probes meanwhile (responsiveness of the node under load). */
  probe: boolean;
  /**
   * On 503 with Retry-After, send the SUBSCRIBE again after that many seconds (as a phone does)
   * instead of counting a failure; still bound by deadlineMs.
   */
  retryAfter503: boolean;
}

/**
 * How a state change is caused: a CLI command over the node's control socket (kept open for the
 * whole run), or a `FANOUT <watchers>` datagram to the null responder (the server the client
 * talks to), which notifies its last <watchers> dialogs.
 */
export type Trigger = { kind: 'control'; socketPath: string; device: string; states: [string, string] } | { kind: 'udp' };

export interface FanoutCommand {
  cmd: 'fanout';
  group: string;
  changes: number;
  trigger: Trigger;
  /** A change whose NOTIFYs have not all arrived after this long is recorded as incomplete. */
  timeoutMs: number;
  probe: boolean;
}

export type ClientCommand = InitCommand | SubscribeCommand | FanoutCommand | { cmd: 'quit' };

export interface Percentiles {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** OPTIONS probes: round trips of those answered, and how many never were. */
export interface ProbeResult extends Percentiles {
  unanswered: number;
}

export interface SubscribeResult {
  attempted: number;
  completed: number;
  /** Failures by cause: a status code, `timeout` (no final response), `no NOTIFY`, `terminated`. */
  failures: Record<string, number>;
  failed: number;
  /** SUBSCRIBEs sent again because no final response came within the retransmission interval. */
  retransmissions: number;
  /** 503 answers (the node shedding load) that were retried after Retry-After. */
  retried503: number;
  /** NOTIFYs received twice (the node retransmitted: our 200 came late or was lost). */
  notifyRetransmissions: number;
  /** First send to last completion. */
  elapsedMs: number;
  /** First send to last send (the offered window). */
  sendMs: number;
  /** First to last set-up settled: completions come this fast (a backlog stretches it beyond sendMs). */
  settleMs: number;
  latency: Percentiles;
  probe: ProbeResult;
  /** Generator CPU (user+system) as % of one core over the phase. */
  clientCpuPct: number;
}

export interface FanoutResult {
  watchers: number;
  changes: number;
  notifies: number;
  /** Changes whose NOTIFYs did not all arrive within timeoutMs. */
  incomplete: number;
  missing: number;
  /** NOTIFYs received per second of change-to-last-NOTIFY time. */
  notifyRate: number;
  /** Change issued → NOTIFY received, over every NOTIFY. */
  latency: Percentiles;
  /** Change issued → last NOTIFY of that change received. */
  drain: Percentiles;
  notifyRetransmissions: number;
  terminated: number;
  probe: ProbeResult;
  clientCpuPct: number;
}

export type ClientReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
