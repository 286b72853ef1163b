/**
 * Handler state kept per subscription (a watcher handle, a mailbox watch): what
 * `Subscription.data` holds. Nearly every subscription carries exactly one entry (the handler's
 * own), so the first one is kept inline and a Map is made only for a second; a Map per
 * subscription cost about 300 bytes of hash table, a fifth of a held subscription.
 */
export interface HandlerData {
  get(key: string): unknown;
  set(key: string, value: unknown): this;
  has(key: string): boolean;
  delete(key: string): boolean;
}

export class InlineHandlerData implements HandlerData {
  private key: string | undefined = undefined;
  private value: unknown = undefined;
  private more: Map<string, unknown> | undefined = undefined;

  get(key: string): unknown {
    return key === this.key ? this.value : this.more?.get(key);
  }

  has(key: string): boolean {
    return key === this.key || (this.more?.has(key) ?? false);
  }

  set(key: string, value: unknown): this {
    if (this.key === undefined || this.key === key) {
      // A key already in `more` stays there (one place per key).
      if (this.key === undefined && this.more?.has(key)) this.more.set(key, value);
      else {
        this.key = key;
        this.value = value;
      }
    } else {
      (this.more ??= new Map()).set(key, value);
    }
    return this;
  }

  delete(key: string): boolean {
    if (key === this.key) {
      this.key = undefined;
      this.value = undefined;
      return true;
    }
    return this.more?.delete(key) ?? false;
  }
}
