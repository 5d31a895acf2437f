import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LdapTimer } from '../directory/types.js';
import type { HttpTimer } from '../entra/http.js';
import type { AuditEvent, SyncRunRecord } from '../store/types.js';

/** Told of each run of the sign-in pipeline with what it came to (sts/signin/pipeline.ts). */
export type SignInTimer = (protocol: string, outcome: string, seconds: number) => void;

/** Values that live in the store, read when Prometheus scrapes (the same on every node of a farm). */
export interface StoreReadings {
  activeSessions(): Promise<number>;
  certificates(): Promise<{ thumbprint: string; role: string; state: string; daysLeft: number }[]>;
  lastSyncRun(): Promise<SyncRunRecord | undefined>;
}

// Sign-in and directory times are milliseconds to seconds; Graph calls up to its 30 s time limit.
const FAST_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const GRAPH_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** AD's own lockout answer (MS-ADTS bind sub-code 775) and Gatehouse's extranet lockout, by the reason the pipeline audits. */
const LOCKOUT_KINDS: Record<string, string> = { 'extranet-lockout': 'extranet', 'locked-out': 'ad' };

/**
 * The process's Prometheus metrics (prom-client), one registry per running Gatehouse so that two
 * in one process (tests) do not mix. Counters and histograms count this process only; under
 * node:cluster each worker keeps its own and the primary sums them with prom-client's
 * AggregatorRegistry (`aggregator` below says how: counters add up, values read from the shared
 * store are taken once, not multiplied by the number of workers).
 */
export class GatehouseMetrics {
  readonly registry = new Registry();
  private readonly tokenRequests = new Counter({
    name: 'gatehouse_token_requests_total',
    help: 'Sign-in pipeline runs that ended in a token (success) or a refusal (failure), by protocol and relying-party trust.',
    labelNames: ['protocol', 'trust', 'result'] as const,
    registers: [this.registry],
  });
  private readonly signInFailures = new Counter({
    name: 'gatehouse_signin_failures_total',
    help: 'Failed sign-ins by reason (bad-password, no-such-user, locked-out, extranet-lockout, account-disabled, directory-unavailable, …).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly lockouts = new Counter({
    name: 'gatehouse_lockouts_total',
    help: 'Sign-ins refused for a locked account: kind extranet (Gatehouse’s extranet lockout, AD not asked) or ad (AD’s account lockout).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  private readonly rejected = new Counter({
    name: 'gatehouse_requests_rejected_total',
    help: 'Requests refused before any sign-in (bad protocol message, unknown trust, CSRF, rate limit, …), by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly signInSeconds = new Histogram({
    name: 'gatehouse_signin_duration_seconds',
    help: 'Time of one run of the sign-in pipeline (directory look-up, lockout bookkeeping, bind), by protocol and outcome.',
    labelNames: ['protocol', 'outcome'] as const,
    buckets: FAST_BUCKETS,
    registers: [this.registry],
  });
  private readonly ldapSeconds = new Histogram({
    name: 'gatehouse_ldap_operation_duration_seconds',
    help: 'Time of one LDAP operation as the caller waits for it (failover to the next DC included): bind, search, modify; result ok, refused (an LDAP error answer) or error (no answer).',
    labelNames: ['operation', 'result'] as const,
    buckets: FAST_BUCKETS,
    registers: [this.registry],
  });
  private readonly graphSeconds = new Histogram({
    name: 'gatehouse_graph_request_duration_seconds',
    help: 'Time of one Microsoft Graph or token-authority call, by method and HTTP status (0: no answer).',
    labelNames: ['method', 'host', 'status'] as const,
    buckets: GRAPH_BUCKETS,
    registers: [this.registry],
  });
  private readonly dcUp = new Gauge({
    name: 'gatehouse_directory_dc_up',
    help: 'Whether the DC took a fresh LDAPS connection and the service-account bind at the last health evaluation (1) or not (0).',
    labelNames: ['dc'] as const,
    registers: [this.registry],
    aggregator: 'max',
  });
  private readonly dcSeconds = new Gauge({
    name: 'gatehouse_directory_dc_check_seconds',
    help: 'Time the last health evaluation took to connect to the DC and bind.',
    labelNames: ['dc'] as const,
    registers: [this.registry],
    aggregator: 'min',
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** For Audit.observe: every sign-in outcome, refusal and lockout is counted from its audit event. */
  readonly countAudit = (event: AuditEvent): void => {
    if (event.type === 'signin') {
      const protocol = typeof event.details?.protocol === 'string' ? event.details.protocol : 'unknown';
      this.tokenRequests.inc({ protocol, trust: event.relyingParty ?? '', result: event.outcome });
      if (event.outcome === 'failure') {
        const reason = event.reason ?? 'unknown';
        this.signInFailures.inc({ reason });
        const kind = LOCKOUT_KINDS[reason];
        if (kind) this.lockouts.inc({ kind });
      }
    } else if (event.type === 'request.rejected') {
      this.rejected.inc({ reason: event.reason ?? 'unknown' });
    }
  };

  readonly signInTimer: SignInTimer = (protocol, outcome, seconds) => this.signInSeconds.observe({ protocol, outcome }, seconds);
  readonly ldapTimer: LdapTimer = (operation, seconds, result) => this.ldapSeconds.observe({ operation, result }, seconds);
  readonly graphTimer: HttpTimer = (call) => this.graphSeconds.observe({ method: call.method, host: call.host, status: String(call.status) }, call.seconds);

  /** The DCs' state as the last health evaluation found it (sts/ops.ts). */
  directoryHealth(dcs: readonly { dc: string; ok: boolean; ms: number }[]): void {
    for (const d of dcs) {
      this.dcUp.set({ dc: d.dc }, d.ok ? 1 : 0);
      this.dcSeconds.set({ dc: d.dc }, d.ms / 1000);
    }
  }

  /**
   * Gauges read from the store at scrape time: active sessions, certificate days left, the last
   * sync run. A store that does not answer leaves them out of that scrape rather than failing it.
   */
  readFromStore(readings: StoreReadings, now: () => Date = () => new Date()): void {
    const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge) => Promise<void>) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers: [this.registry],
        aggregator: 'first',
        async collect() {
          this.reset();
          await fill(this).catch(() => this.reset());
        },
      });
    const lastRun = once(() => readings.lastSyncRun());
    gauge('gatehouse_sessions_active', 'SSO sessions not yet expired, all nodes together.', [], async (g) => g.set(await readings.activeSessions()));
    gauge('gatehouse_certificate_days_left', 'Days until each certificate (token-signing, token-decrypting) expires, by thumbprint, role and state.', ['thumbprint', 'role', 'state'], async (g) => {
      for (const c of await readings.certificates()) g.set({ thumbprint: c.thumbprint, role: c.role, state: c.state }, c.daysLeft);
    });
    gauge('gatehouse_sync_last_run_success', 'Whether the last AD → Entra sync run succeeded (1) or not (0), with its outcome and mode as labels; absent before the first run.', ['outcome', 'mode'], async (g) => {
      const run = await lastRun();
      if (run) g.set({ outcome: run.outcome, mode: run.mode }, run.outcome === 'success' || run.outcome === 'staged' ? 1 : 0);
    });
    // Labelled by mode so that before the first run the gauge is absent rather than 0 (a fresh run).
    gauge('gatehouse_sync_last_run_age_seconds', 'Seconds since the last sync run ended (or started, while it runs), by its mode; absent before the first run.', ['mode'], async (g) => {
      const run = await lastRun();
      if (run) g.set({ mode: run.mode }, (now().getTime() - (run.finishedAt ?? run.startedAt).getTime()) / 1000);
    });
    gauge('gatehouse_sync_last_run_objects', 'Object counts of the last sync run, by what was counted (users, groups, creates, updates, deletes, errors, …).', ['count'], async (g) => {
      for (const [count, n] of Object.entries((await lastRun())?.counts ?? {})) g.set({ count }, n);
    });
  }

  /** The Prometheus text exposition of every metric. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** One store read per scrape for the gauges that share it, renewed on the next scrape. */
function once<T>(read: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= read().finally(() => setTimeout(() => (pending = undefined), 0).unref());
    return pending;
  };
}
