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
  /** Connections open at most per DC and kind (lookups, sign-in binds); callers beyond wait in a queue. */
  poolSize: number;
  /** How long a caller waits for a connection of a full pool before the next DC is tried (ms). */
  queueTimeoutMs: number;
  /** Callers waiting per DC and kind at most; one more is sent to the next DC at once. */
  maxQueued: number;
  /**
   * Mark a DC down as soon as it goes silent (see watchForSilence) rather than after operation
   * timeouts: for sign-in, whose operations are short. Off for the sync reader, whose paged searches may take long.
   */
  failFastWhenSilent?: boolean;
  logger?: DirectoryLogger;
  timer?: LdapTimer;
}

/** What the pool knows of one DC; `failovers` counts how often it was skipped after failing. */
export interface DcState {
  url: string;
  downUntil: number;
  lastError?: string;
  failovers: number;
  /** Connections open now (idle, busy or opening), per kind: never more than `poolSize`. */
  open?: { service: number; bind: number };
}

/** No DC answered: the caller reports `directory-unavailable`. */
export class DirectoryUnavailable extends Error {
  constructor(readonly errors: string[]) {
    super(`no domain controller answered: ${errors.join('; ')}`);
  }
}

/** This machine has no free connection to the DC in time: the local side is busy, the DC is not at fault. */
class PoolBusy extends Error {}

/** The DC was marked down while the caller waited for it or used it: go on to the next one. */
class DcMarkedDown extends Error {}

/** Opening a connection failed (refused, TLS, no answer within the connect timeout): the DC is at fault. */
class ConnectFailed extends Error {
  constructor(cause: unknown) {
    super(describe(cause), { cause });
  }
}

type Kind = 'service' | 'bind';

/** A caller waiting for a connection: handed an idle one, or `null` to open its own in a freed place. */
interface Waiter {
  give(client: Client | null): void;
  fail(err: Error): void;
}

/** One DC's connections of one kind: `open` counts idle, busy and opening ones, never more than `poolSize`. */
interface Lane {
  idle: Client[];
  /** In use, with when the use began. */
  busy: Map<Client, number>;
  open: number;
  waiters: Waiter[];
}

interface Dc {
  state: DcState;
  lanes: Record<Kind, Lane>;
  /** Operation timeouts since the last answer: a hung DC times out every caller, a busy one answers some. */
  timeouts: number;
  probing: boolean;
  /** When the DC last answered anything (performance.now()). */
  lastAnswer: number;
}

/** Did the DC itself fail (socket, TLS, timeout, busy) rather than answer the request? */
function isTransportFailure(err: unknown): boolean {
  if (err instanceof BusyError || err instanceof UnavailableError) return true;
  return !(err instanceof ResultCodeError);
}

/** ldapts' own message for an operation past `timeout` (it destroys the socket then). */
function isOperationTimeout(err: unknown): boolean {
  return err instanceof Error && /Operation timed out/.test(err.message);
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

const discard = (client: Client) => void client.unbind().catch(() => undefined);

/** Two operation timeouts in a row, with no answer from the DC between them, mark it down. */
const TIMEOUTS_TO_MARK_DOWN = 2;
/** How often the pool looks for a DC that went silent, and how many waiting operations make it so. */
const WATCH_EVERY_MS = 200;
const SILENT_OPERATIONS = 2;

/**
 * Connections to a list of DCs, tried in order, at most `poolSize` per DC and kind: a bind on an
 * open LDAPS connection costs ~2 ms, a new connection ~5× more (ARCHITECTURE.md "Cost model"), so
 * callers beyond the pool wait for a connection instead of opening more. A DC is marked down for
 * `retryDownAfterMs` when a connection to it fails (refused, TLS, no answer within the connect
 * timeout) or when its operations time out twice in a row; a caller whose DC fails, times out or
 * keeps it waiting past `queueTimeoutMs` goes on to the next DC at once. A waiting caller is the
 * local machine being busy, not the DC: it never marks a DC down. After the down time, one probe
 * (a fresh connection and a rootDSE read) tests the DC while callers keep using the others; only
 * its success brings the DC back. When every DC is down, all are tried (a down mark is a hint).
 */
export class DcPool {
  private readonly dcs: Dc[];
  private closed = false;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(private readonly options: PoolOptions) {
    if (options.dcs.length === 0) throw new Error('directory: at least one DC URL is needed');
    const lane = (): Lane => ({ idle: [], busy: new Map(), open: 0, waiters: [] });
    this.dcs = options.dcs.map((url) => ({ state: { url, downUntil: 0, failovers: 0 }, lanes: { service: lane(), bind: lane() }, timeouts: 0, probing: false, lastAnswer: performance.now() }));
    if (this.dcs.length > 1 && options.failFastWhenSilent) {
      this.watchdog = setInterval(() => this.watchForSilence(), WATCH_EVERY_MS);
      this.watchdog.unref();
    }
  }

  status(): DcState[] {
    return this.dcs.map((dc) => ({ ...dc.state, open: { service: dc.lanes.service.open, bind: dc.lanes.bind.open } }));
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
    clearInterval(this.watchdog);
    const all: Client[] = [];
    for (const lane of this.dcs.flatMap((dc) => [dc.lanes.service, dc.lanes.bind])) {
      for (const waiter of lane.waiters.splice(0)) waiter.fail(new DirectoryUnavailable(['directory closed']));
      all.push(...lane.idle.splice(0));
    }
    await Promise.all(all.map((client) => client.unbind().catch(() => undefined)));
  }

  /**
   * Up DCs in configured order. A DC whose down time is over is not used again until its probe
   * succeeded: every caller re-trying a hung DC at once is the stall this avoids. When no DC is
   * up, all of them (a down mark is a hint, not a ban).
   */
  private candidates(): Dc[] {
    const now = Date.now();
    for (const dc of this.dcs) if (dc.state.downUntil > 0 && dc.state.downUntil <= now && !dc.probing) void this.probe(dc);
    const up = this.dcs.filter((dc) => dc.state.downUntil === 0);
    return up.length > 0 ? up : this.dcs;
  }

  /** One fresh connection and a rootDSE read within the connect timeout: the DC is back, or down again. */
  private async probe(dc: Dc): Promise<void> {
    dc.probing = true;
    let client: Client | undefined;
    try {
      client = await this.open(dc, 'service');
      await withTimeout(client.search('', { scope: 'base', attributes: ['dnsHostName'] }), this.options.connectTimeoutMs, 'probe');
      dc.state.downUntil = 0;
      dc.timeouts = 0;
      this.options.logger?.info({ dc: dc.state.url }, 'directory: DC answers again');
    } catch (err) {
      dc.state.downUntil = Date.now() + this.options.retryDownAfterMs;
      dc.state.lastError = describe(err);
    } finally {
      dc.probing = false;
      if (client) discard(client);
    }
  }

  private async run<T>(kind: Kind, fn: (client: Client) => Promise<T>): Promise<T> {
    if (this.closed) throw new DirectoryUnavailable(['directory closed']);
    const errors: string[] = [];
    const candidates = this.candidates();
    for (const [i, dc] of candidates.entries()) {
      for (let tries = 0; ; tries++) {
        try {
          return await this.runOn(dc, kind, fn);
        } catch (err) {
          if (!isTransportFailure(err)) throw err;
          // The last DC, still up, was only slow to accept: this machine being busy (every caller
          // arriving at once from a DC just marked down opens its TLS connection at the same
          // moment) must not fail a sign-in that one more try would serve. A second slow connect
          // in a row marks the DC down (timedOut) and ends it.
          const slowConnect = err instanceof ConnectFailed && /timed? ?out/i.test(err.message);
          if (slowConnect && tries === 0 && i === candidates.length - 1 && dc.state.downUntil === 0 && !this.closed) continue;
          errors.push(`${dc.state.url}: ${describe(err)}`);
          break;
        }
      }
      if (this.closed) break;
    }
    throw new DirectoryUnavailable(errors);
  }

  /** One DC: a pooled connection; if that one went stale (DC idle timeout), one fresh try. */
  private async runOn<T>(dc: Dc, kind: Kind, fn: (client: Client) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const { client, pooled } = await this.acquire(dc, kind);
      const lane = dc.lanes[kind];
      lane.busy.set(client, performance.now());
      try {
        const result = await fn(client);
        dc.timeouts = 0;
        dc.lastAnswer = performance.now();
        this.release(dc, kind, client);
        return result;
      } catch (err) {
        if (!isTransportFailure(err)) {
          // The DC answered: an LDAP result (bad password…) says nothing against it.
          dc.timeouts = 0;
          dc.lastAnswer = performance.now();
          this.release(dc, kind, client);
          throw err;
        }
        this.drop(dc, kind, client);
        if (isOperationTimeout(err)) {
          this.timedOut(dc, err);
          throw err;
        }
        if (dc.state.downUntil > 0) throw new DcMarkedDown(`marked down: ${dc.state.lastError ?? describe(err)}`);
        if (!pooled || attempt > 0) throw err;
      }
    }
  }

  /** An idle connection, a new one while the pool has room, else a place in the queue. */
  private async acquire(dc: Dc, kind: Kind): Promise<{ client: Client; pooled: boolean }> {
    const lane = dc.lanes[kind];
    for (let client = lane.idle.pop(); client; client = lane.idle.pop()) {
      if (this.usable(kind, client)) return { client, pooled: true };
      lane.open -= 1;
      discard(client);
    }
    if (lane.open < this.options.poolSize) return { client: await this.openIn(dc, kind), pooled: false };
    if (lane.waiters.length >= this.options.maxQueued) throw new PoolBusy(`${lane.waiters.length} callers already wait for a ${kind} connection`);
    const given = await new Promise<Client | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        lane.waiters.splice(lane.waiters.indexOf(waiter), 1);
        reject(new PoolBusy(`no ${kind} connection free within ${this.options.queueTimeoutMs} ms`));
      }, this.options.queueTimeoutMs);
      const waiter: Waiter = {
        give: (client) => { clearTimeout(timer); resolve(client); },
        fail: (err) => { clearTimeout(timer); reject(err); },
      };
      lane.waiters.push(waiter);
    });
    return given ? { client: given, pooled: true } : { client: await this.openIn(dc, kind), pooled: false };
  }

  /** Opens a connection in a place of the lane, which is given up again if opening fails. */
  private async openIn(dc: Dc, kind: Kind): Promise<Client> {
    const lane = dc.lanes[kind];
    lane.open += 1;
    try {
      return await this.open(dc, kind);
    } catch (err) {
      this.freePlace(lane);
      if (!isTransportFailure(err)) throw err;
      const failure = new ConnectFailed(err);
      // Refused, reset, a TLS failure: the DC is not there. A connect that is only slow may be
      // this machine being busy (many TLS handshakes at once): counted like an operation timeout.
      if (/timed? ?out/i.test(failure.message)) this.timedOut(dc, failure);
      else this.markDown(dc, failure);
      throw failure;
    }
  }

  private usable(kind: Kind, client: Client): boolean {
    // ldapts reconnects a closed client by itself on the next operation, unbound: a service
    // connection must still be bound as the service account.
    return kind === 'service' ? client.isBound : client.isConnected;
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
      discard(client);
      throw err;
    }
  }

  /** Back to the pool: to the first waiter, else idle. */
  private release(dc: Dc, kind: Kind, client: Client): void {
    const lane = dc.lanes[kind];
    lane.busy.delete(client);
    if (this.closed || !this.usable(kind, client)) {
      this.drop(dc, kind, client);
      return;
    }
    const waiter = lane.waiters.shift();
    if (waiter) waiter.give(client);
    else lane.idle.push(client);
  }

  /** A connection that failed is closed; its place goes to the first waiter, who opens a new one. */
  private drop(dc: Dc, kind: Kind, client: Client): void {
    const lane = dc.lanes[kind];
    lane.busy.delete(client);
    discard(client);
    this.freePlace(lane);
  }

  private freePlace(lane: Lane): void {
    lane.open -= 1;
    lane.waiters.shift()?.give(null);
  }

  /**
   * A hung DC (stopped, its disk gone) accepts requests and answers none: every caller on it would
   * wait the whole operation timeout. When several operations have waited past the connect
   * timeout and the DC has answered nothing at all for that long, it is marked down at once and
   * its callers go to the next DC. A busy machine or a busy DC still answers some operations, so
   * this does not fire for them; with no other DC up it does not fire at all (nothing to go to).
   */
  private watchForSilence(): void {
    const now = performance.now();
    const limit = this.options.connectTimeoutMs;
    for (const dc of this.dcs) {
      if (dc.state.downUntil !== 0 || now - dc.lastAnswer < limit) continue;
      if (!this.dcs.some((other) => other !== dc && other.state.downUntil === 0)) continue;
      const waiting = [dc.lanes.service, dc.lanes.bind].flatMap((lane) => [...lane.busy.values()]).filter((since) => now - since > limit).length;
      if (waiting >= SILENT_OPERATIONS) this.markDown(dc, new Error(`${waiting} operations unanswered for over ${limit} ms`));
    }
  }

  /** Logged every time (an operation timeout is what a hung DC looks like); the second in a row marks the DC down. */
  private timedOut(dc: Dc, err: unknown): void {
    dc.timeouts += 1;
    this.options.logger?.warn({ dc: dc.state.url, error: describe(err), inARow: dc.timeouts }, 'directory: operation timed out');
    if (dc.timeouts >= TIMEOUTS_TO_MARK_DOWN && dc.state.downUntil === 0) this.markDown(dc, err);
  }

  /**
   * Down for `retryDownAfterMs`: its idle connections are closed, and so are the busy ones (a
   * hung DC would hold their callers until the operation timeout), whose callers and the waiting
   * ones go on to the next DC now.
   */
  private markDown(dc: Dc, err: unknown): void {
    const wasUp = dc.state.downUntil === 0;
    dc.state.downUntil = Date.now() + this.options.retryDownAfterMs;
    dc.state.lastError = describe(err);
    if (!wasUp) return;
    dc.state.failovers += 1;
    for (const lane of [dc.lanes.service, dc.lanes.bind]) {
      for (const client of lane.idle.splice(0)) {
        lane.open -= 1;
        discard(client);
      }
      for (const client of [...lane.busy.keys()]) discard(client);
      for (const waiter of lane.waiters.splice(0)) waiter.fail(new DcMarkedDown(`marked down: ${dc.state.lastError}`));
    }
    this.options.logger?.warn({ dc: dc.state.url, error: dc.state.lastError, retryInMs: this.options.retryDownAfterMs }, 'directory: DC marked down');
  }
}
