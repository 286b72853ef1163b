/**
 * One kernel instance per node: registries, config objects, state engines and the store.
 * Nothing here is a module-level singleton, so tests can run several nodes in one process.
 */
import { ConfigService } from './config-service.js';
import type { CliCommand } from './cli/types.js';
import { normalizeCommand } from './cli/dispatcher.js';
import type { Logger, LogHub } from './log.js';
import type { BodyGenerator, BodySupplement, EventPublisher, PublishHandler, SubscriptionHandler } from './pubsub/types.js';
import {
  normalizeMediaType,
  OrderedRegistry,
  Registry,
  type Disposer,
  type OrderedRegistryView,
  type RegistryView,
} from './registry/registry.js';
import { Sorcery, type ObjectObserver, type ObjectTypeSpec, type SorceryObject } from './registry/sorcery.js';
import { DeviceStateEngine } from './state/device-state.js';
import { ExtensionStateEngine } from './state/extension-state.js';
import { MailboxStateEngine } from './state/mailbox-state.js';
import { PresenceStateEngine } from './state/presence-state.js';
import type { Store } from './store/types.js';

export interface NodePaths {
  configDir: string;
  astdbdir: string;
  astrundir: string;
  astvarlibdir: string;
  astspooldir: string;
  astlogdir: string;
}

export interface CoreOptions {
  eid: string;
  paths: NodePaths;
  logHub: LogHub;
  store: Store;
}

/** Registries whose contents are derived into headers (Accept, Allow-Events). */
export class Capabilities {
  private accept: string[] = [];
  private allowEvents: string[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(private readonly core: Core) {
    core.bodyGenerators.onChange(() => this.recompute());
    core.subscriptionHandlers.onChange(() => this.recompute());
  }

  private recompute(): void {
    this.accept = this.core.bodyGenerators.keys();
    this.allowEvents = this.core.subscriptionHandlers.keys();
    for (const l of [...this.listeners]) l();
  }

  /** Media types any registered body generator produces, in registration order. */
  acceptTypes(): readonly string[] {
    return this.accept;
  }

  /** Event packages with a subscription handler, in registration order. */
  eventPackages(): readonly string[] {
    return this.allowEvents;
  }

  onChange(fn: () => void): Disposer {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

export class Core {
  readonly eid: string;
  readonly paths: NodePaths;
  readonly logHub: LogHub;
  readonly log: Logger;
  readonly store: Store;
  readonly config: ConfigService;
  readonly sorcery: Sorcery;

  readonly subscriptionHandlers = new Registry<SubscriptionHandler>('subscription handler', (k) => k.toLowerCase());
  readonly publishHandlers = new Registry<PublishHandler>('publish handler', (k) => k.toLowerCase());
  readonly eventPublishers = new Registry<EventPublisher>('event publisher', (k) => k.toLowerCase());
  readonly bodyGenerators = new Registry<BodyGenerator>('body generator', normalizeMediaType);
  readonly bodySupplements = new OrderedRegistry<BodySupplement>('body supplement', normalizeMediaType);
  readonly cli = new Registry<CliCommand>('CLI command', normalizeCommand);
  readonly services = new Registry<unknown>('service');
  readonly capabilities: Capabilities;

  readonly devices: DeviceStateEngine;
  readonly presence: PresenceStateEngine;
  readonly mailboxes: MailboxStateEngine;
  readonly extensions: ExtensionStateEngine;

  private booted = false;
  private readonly bootListeners = new Set<() => void>();

  constructor(opts: CoreOptions) {
    this.eid = opts.eid;
    this.paths = opts.paths;
    this.logHub = opts.logHub;
    this.log = opts.logHub.logger('core');
    this.store = opts.store;
    this.config = new ConfigService(opts.paths.configDir, opts.logHub.logger('config'));
    this.sorcery = new Sorcery((f) => this.config.read(f), opts.logHub.logger('sorcery'));
    this.capabilities = new Capabilities(this);
    this.devices = new DeviceStateEngine({ store: this.store, eid: this.eid, log: opts.logHub.logger('devicestate'), attachCustom: false });
    this.presence = new PresenceStateEngine({ store: this.store, log: opts.logHub.logger('presencestate'), attachCustom: false });
    this.mailboxes = new MailboxStateEngine({ store: this.store, eid: this.eid, log: opts.logHub.logger('mwi') });
    this.extensions = new ExtensionStateEngine({
      devices: this.devices,
      presence: this.presence,
      log: opts.logHub.logger('extensionstate'),
    });
  }

  /** Called by the node once every module of the start-up plan has loaded (Asterisk's FullyBooted). */
  markFullyBooted(): void {
    if (this.booted) return;
    this.booted = true;
    for (const fn of [...this.bootListeners]) {
      try {
        fn();
      } catch (e) {
        this.log.error(`FullyBooted listener failed: ${String(e)}`);
      }
    }
    this.bootListeners.clear();
  }

  get fullyBooted(): boolean {
    return this.booted;
  }

  /** Runs `fn` once the node is fully booted (at once, on the next turn, if it already is). */
  onFullyBooted(fn: () => void): Disposer {
    if (this.booted) {
      const t = setImmediate(fn);
      return () => clearImmediate(t);
    }
    this.bootListeners.add(fn);
    return () => this.bootListeners.delete(fn);
  }

  /** Every registry's contents, sorted: unloading a module must give back the snapshot from before it loaded. */
  registrySnapshot(): string[] {
    return [
      ...this.sorcery.snapshot(),
      ...this.subscriptionHandlers.snapshot(),
      ...this.publishHandlers.snapshot(),
      ...this.eventPublishers.snapshot(),
      ...this.bodyGenerators.snapshot(),
      ...this.bodySupplements.snapshot(),
      ...this.cli.snapshot(),
      ...this.services.snapshot(),
      ...this.devices.providerNames().map((n) => `device state provider:${n}`),
      ...this.presence.providerNames().map((n) => `presence state provider:${n}`),
      `hints:${this.extensions.listHints().length}`,
    ].sort();
  }

  /** The core as one module sees it: registrations are owned by it and tracked for unload. */
  view(owner: string, track: (d: Disposer) => Disposer): CoreView {
    const t = (d: Disposer) => {
      track(d);
    };
    return {
      eid: this.eid,
      paths: this.paths,
      logHub: this.logHub,
      store: this.store,
      config: this.config,
      capabilities: this.capabilities,
      devices: this.devices,
      presence: this.presence,
      mailboxes: this.mailboxes,
      extensions: this.extensions,
      sorcery: {
        registerType: (spec) => track(this.sorcery.registerType(spec, owner)),
        retrieve: (type, id) => this.sorcery.retrieve(type, id),
        retrieveAll: (type) => this.sorcery.retrieveAll(type),
        observe: (type, o) => track(this.sorcery.observe(type, o)),
        reload: (file) => this.sorcery.reload(file),
        issues: (type) => this.sorcery.issues(type),
      },
      subscriptionHandlers: this.subscriptionHandlers.view(owner, t),
      publishHandlers: this.publishHandlers.view(owner, t),
      eventPublishers: this.eventPublishers.view(owner, t),
      bodyGenerators: this.bodyGenerators.view(owner, t),
      bodySupplements: this.bodySupplements.view(owner, t),
      cli: this.cli.view(owner, t),
      onFullyBooted: (fn) => track(this.onFullyBooted(fn)),
    };
  }
}

export interface SorceryView {
  registerType(spec: ObjectTypeSpec): Disposer;
  retrieve<T = SorceryObject>(type: string, id: string): (T & SorceryObject) | undefined;
  retrieveAll<T = SorceryObject>(type: string): Array<T & SorceryObject>;
  observe(type: string, observer: ObjectObserver): Disposer;
  reload(file?: string): void;
  issues(type?: string): ReturnType<Sorcery['issues']>;
}

export interface CoreView {
  readonly eid: string;
  readonly paths: NodePaths;
  readonly logHub: LogHub;
  readonly store: Store;
  readonly config: ConfigService;
  readonly capabilities: Capabilities;
  readonly devices: DeviceStateEngine;
  readonly presence: PresenceStateEngine;
  readonly mailboxes: MailboxStateEngine;
  readonly extensions: ExtensionStateEngine;
  readonly sorcery: SorceryView;
  readonly subscriptionHandlers: RegistryView<SubscriptionHandler>;
  readonly publishHandlers: RegistryView<PublishHandler>;
  readonly eventPublishers: RegistryView<EventPublisher>;
  readonly bodyGenerators: RegistryView<BodyGenerator>;
  readonly bodySupplements: OrderedRegistryView<BodySupplement>;
  readonly cli: RegistryView<CliCommand>;
  /** Runs `fn` once every start-up module has loaded (at once if the node already is up). */
  onFullyBooted(fn: () => void): Disposer;
}
