import type { ConnectionOptions } from 'node:tls';
import { BusyError, Client, ResultCodeError, UnavailableError } from 'ldapts';
import type { DcHealth, DirectoryLogger, LdapTimer } from './types.js';

export interface PoolOptions {
  dcs: string[];
  /** ldap:// URLs are upgraded with StartTLS before anything else is sent. */
  startTls: boolean;
  tls: ConnectionOptions;
  /**
   * The account `withService` connections are bound as: the lookup account for sign-in, the sync
   * account for the sync reader (a pool per account; `bind` connections are shared by any user).
   */
  serviceAccount: { dn: string; password: string };
  connectTimeoutMs: number;
  operationTimeoutMs: number;
  retryDownAfterMs: number;
  /** Idle connections kept per DC and kind; more are opened under load and closed after use. */
  maxIdleConnections: number;
  logger?: DirectoryLogger;
  timer?: LdapTimer;
}

/** What the pool knows of one DC; `failovers` counts how often it was skipped after failing. */
export interface DcState {
  url: string;
  downUntil: number;
  lastError?: string;
  failovers: number;
}

/** No DC answered: the caller reports `directory-unavailable`. */
export class DirectoryUnavailable extends Error {
  constructor(readonly errors: string[]) {
    super(`no domain controller answered: ${errors.join('; ')}`);
  }
}

type Kind = 'service' | 'bind';

interface Dc {
  state: DcState;
  idle: Record<Kind, Client[]>;
}

/** Did the DC itself fail (socket, TLS, timeout, busy) rather than answer the request? */
function isTransportFailure(err: unknown): boolean {
  if (err instanceof BusyError || err instanceof UnavailableError) return true;
  return !(err instanceof ResultCodeError);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] ?? err.name : String(err);
}

/** LDAP GeneralizedTime as AD writes currentTime, e.g. `20261201221500.0Z` (RFC 4517 §3.3.13). */
function generalizedTime(value: unknown): Date | undefined {
  const m = typeof value === 'string' ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:[.,]\d+)?Z$/.exec(value) : null;
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Connections to a list of DCs, tried in order. A DC that refuses, hangs past the connect
 * timeout, or breaks mid-operation is marked down for `retryDownAfterMs` and the next DC is
 * tried at once. Connections are reused: a bind on an open LDAPS connection costs ~2 ms, a new
 * connection ~5× more (ARCHITECTURE.md "Cost model").
 */
export class DcPool {
  private readonly dcs: Dc[];
  private closed = false;

  constructor(private readonly options: PoolOptions) {
    if (options.dcs.length === 0) throw new Error('directory: at least one DC URL is needed');
    this.dcs = options.dcs.map((url) => ({ state: { url, downUntil: 0, failovers: 0 }, idle: { service: [], bind: [] } }));
  }

  status(): DcState[] {
    return this.dcs.map((dc) => ({ ...dc.state }));
  }

  /** Runs `fn` on a connection bound as the service account; `operation` names it for the timer. */
  withService<T>(fn: (client: Client) => Promise<T>, operation: 'search' | 'modify' = 'search'): Promise<T> {
    return this.timed(operation, () => this.run('service', fn));
  }

  /** Binds as `dn`; an LDAP answer (wrong password, disabled…) is thrown as ldapts' ResultCodeError. */
  async bind(dn: string, password: string): Promise<void> {
    await this.timed('bind', () => this.run('bind', (client) => client.bind(dn, password)));
  }

  /** The whole operation as the caller waits for it, failover included. */
  private async timed<T>(operation: 'bind' | 'search' | 'modify', fn: () => Promise<T>): Promise<T> {
    const timer = this.options.timer;
    if (!timer) return fn();
    const started = performance.now();
    try {
      const result = await fn();
      timer(operation, (performance.now() - started) / 1000, 'ok');
      return result;
    } catch (err) {
      timer(operation, (performance.now() - started) / 1000, err instanceof ResultCodeError ? 'refused' : 'error');
      throw err;
    }
  }

  /** Opens a fresh connection to every DC and binds the service account; pooled ones are not used. */
  async checkHealth(): Promise<DcHealth[]> {
    return Promise.all(this.dcs.map(async (dc) => {
      const started = performance.now();
      let client: Client | undefined;
      try {
        client = await this.open(dc, 'service');
        const { searchEntries } = await client.search('', { scope: 'base', attributes: ['dnsHostName', 'currentTime'] });
        const currentTime = generalizedTime(searchEntries[0]?.currentTime);
        return { dc: dc.state.url, ok: true, ms: Math.round(performance.now() - started), ...(currentTime ? { currentTime } : {}) };
      } catch (err) {
        return { dc: dc.state.url, ok: false, error: describe(err), ms: Math.round(performance.now() - started) };
      } finally {
        await client?.unbind().catch(() => undefined);
      }
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = this.dcs.flatMap((dc) => [...dc.idle.service.splice(0), ...dc.idle.bind.splice(0)]);
    await Promise.all(all.map((client) => client.unbind().catch(() => undefined)));
  }

  /** Up DCs in configured order; when all are down, all of them (a down mark is a hint, not a ban). */
  private candidates(): Dc[] {
    const now = Date.now();
    const up = this.dcs.filter((dc) => dc.state.downUntil <= now);
    return up.length > 0 ? up : this.dcs;
  }

  private async run<T>(kind: Kind, fn: (client: Client) => Promise<T>): Promise<T> {
    if (this.closed) throw new DirectoryUnavailable(['directory closed']);
    const errors: string[] = [];
    for (const dc of this.candidates()) {
      try {
        return await this.runOn(dc, kind, fn);
      } catch (err) {
        if (!isTransportFailure(err)) throw err;
        this.markDown(dc, err);
        errors.push(`${dc.state.url}: ${describe(err)}`);
      }
    }
    throw new DirectoryUnavailable(errors);
  }

  /** One DC: a pooled connection first; if that one went stale (DC idle timeout), one fresh try. */
  private async runOn<T>(dc: Dc, kind: Kind, fn: (client: Client) => Promise<T>): Promise<T> {
    const pooled = this.takeIdle(dc, kind);
    if (pooled) {
      try {
        return await this.use(dc, kind, pooled, fn);
      } catch (err) {
        if (!isTransportFailure(err)) throw err;
      }
    }
    return this.use(dc, kind, await this.open(dc, kind), fn);
  }

  private async use<T>(dc: Dc, kind: Kind, client: Client, fn: (client: Client) => Promise<T>): Promise<T> {
    try {
      const result = await fn(client);
      this.release(dc, kind, client);
      return result;
    } catch (err) {
      if (isTransportFailure(err)) void client.unbind().catch(() => undefined);
      else this.release(dc, kind, client);
      throw err;
    }
  }

  private takeIdle(dc: Dc, kind: Kind): Client | undefined {
    for (let client = dc.idle[kind].pop(); client; client = dc.idle[kind].pop()) {
      if (client.isConnected) return client;
      void client.unbind().catch(() => undefined);
    }
    return undefined;
  }

  private async open(dc: Dc, kind: Kind): Promise<Client> {
    const { connectTimeoutMs, operationTimeoutMs, tls, startTls, serviceAccount } = this.options;
    const secure = dc.state.url.startsWith('ldaps://');
    // tlsOptions only for ldaps://: given on an ldap:// URL, ldapts breaks the later StartTLS (ECONNRESET).
    const client = new Client({ url: dc.state.url, connectTimeout: connectTimeoutMs, timeout: operationTimeoutMs, ...(secure ? { tlsOptions: tls } : {}) });
    try {
      if (startTls && !secure) {
        // The StartTLS answer is part of connecting: a DC that accepts TCP and then hangs must be
        // skipped within the connect timeout, not the (longer) operation timeout.
        // Node verifies the certificate against options.host, which StartTLS does not set by itself.
        const host = new URL(dc.state.url).hostname.replace(/^\[(.*)\]$/, '$1');
        await withTimeout(client.startTLS({ ...tls, host }), connectTimeoutMs, 'StartTLS');
      }
      if (kind === 'service') await client.bind(serviceAccount.dn, serviceAccount.password);
      return client;
    } catch (err) {
      void client.unbind().catch(() => undefined);
      throw err;
    }
  }

  private release(dc: Dc, kind: Kind, client: Client): void {
    if (this.closed || dc.idle[kind].length >= this.options.maxIdleConnections || !client.isConnected) {
      void client.unbind().catch(() => undefined);
      return;
    }
    dc.idle[kind].push(client);
  }

  private markDown(dc: Dc, err: unknown): void {
    dc.state.downUntil = Date.now() + this.options.retryDownAfterMs;
    dc.state.lastError = describe(err);
    dc.state.failovers += 1;
    for (const client of dc.idle.service.splice(0).concat(dc.idle.bind.splice(0))) void client.unbind().catch(() => undefined);
    this.options.logger?.warn({ dc: dc.state.url, error: dc.state.lastError, retryInMs: this.options.retryDownAfterMs }, 'directory: DC marked down');
  }
}
