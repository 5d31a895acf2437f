import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { smtpChannel, webhookChannel, type AlertChannel } from '../health/alert-channels.js';
import { Alerts } from '../health/alerts.js';
import { runChecks, worstOf } from '../health/doctor.js';
import { describeCertificate } from '../keys/certificate.js';
import { keysReport } from '../keys/status.js';
import { daysLeft } from '../keys/validity.js';
import { doctorChecks } from './doctor-checks.js';
import { listenAdmin } from './http/admin-listener.js';
import type { Runtime } from './runtime.js';
import { HEALTH_PAGE_CSP, healthPage, type HealthView } from './ui/health-page.js';

/** How often this node's chart counts are added to the store's buckets. */
const HISTORY_FLUSH_MS = 10_000;
/** Sign-in events the health page's failure tables are drawn from. */
const RECENT_EVENTS = 1000;
/** /health and the page run every server-side check; repeated requests within this share one run. */
const HEALTH_CACHE_MS = 10_000;

export interface Operations {
  /** The admin listener's port, when it is enabled. */
  adminPort?: number;
  /** The alerts, when a webhook or mail is configured; `tick` evaluates now, as the timer does every `alerts.intervalSeconds`. */
  alerts?: Alerts;
  stop(): Promise<void>;
}

/**
 * What a node:cluster worker's admin listener gets from the primary (sts/cluster.ts), so that every
 * worker answers for the whole server: the admin listener runs in each worker on the shared port,
 * and the primary hands a scrape to any one of them.
 */
export interface ClusterOperations {
  /** Every worker's metrics, merged by each metric's aggregator (health/cluster-metrics.ts). */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Every worker has written its chart counts to the store, so the health page's charts hold all of them. */
  flushHistory(): Promise<void>;
}

/**
 * The operations side of a node (issue [I]): metrics read from the store at scrape time, the chart
 * history written every few seconds, alerts on a timer, and the admin listener with /metrics,
 * /health and the health page.
 */
export async function startOperations(rt: Runtime, cluster?: ClusterOperations): Promise<Operations> {
  const { config, store, log } = rt;
  const opsLog = log.child({ part: 'ops' });
  const path = (p: string) => (isAbsolute(p) ? p : resolve(config.baseDir, p));
  rt.metrics.readFromStore({
    activeSessions: () => store.sessions.countActive(new Date()),
    certificates: async () => (await store.keys.list()).filter((k) => k.status !== 'retired').map((k) => ({ thumbprint: k.id, role: k.use, state: k.status, daysLeft: daysLeft(describeCertificate(k.certificateDer).notAfter, rt.now()) })),
    lastSyncRun: async () => (await store.sync.recentRuns(1))[0],
  });

  const flush = () => rt.history.flush().catch((err: unknown) => opsLog.warn({ error: (err as Error).message }, 'chart history not written; kept for the next try'));
  const flusher = setInterval(() => void flush(), HISTORY_FLUSH_MS);
  flusher.unref();

  const dcs = async () => {
    const found = await rt.directory.checkHealth();
    rt.metrics.directoryHealth(found);
    return found;
  };
  const alerts = await alertsFromConfig(rt, dcs, path);
  let alertTimer: NodeJS.Timeout | undefined;
  if (alerts) {
    const tick = () => alerts.tick().catch((err: unknown) => opsLog.error({ error: (err as Error).message }, 'alert evaluation failed; tried again next interval'));
    alertTimer = setInterval(() => void tick(), config.alerts.intervalSeconds * 1000);
    alertTimer.unref();
  }

  let admin: Awaited<ReturnType<typeof listenAdmin>> | undefined;
  if (config.admin.enabled) {
    const health = cached(HEALTH_CACHE_MS, () => serverHealth(rt));
    const a = config.admin;
    const tls = a.https
      ? { cert: await readFile(config.server.tls.certFile), key: await readFile(config.server.tls.keyFile), clientCa: a.clientCaFile ? await readFile(path(a.clientCaFile)) : undefined }
      : undefined;
    admin = await listenAdmin(
      {
        metrics: () => (cluster ? cluster.metrics() : rt.metrics.text()),
        health: async () => {
          const h = await health();
          return { ok: h.worst !== 'fail', json: { ok: h.worst !== 'fail', worst: h.worst, checks: h.checks.map((c) => ({ part: c.name, status: c.status, ok: c.status !== 'fail', detail: c.detail, ...(c.fix ? { fix: c.fix } : {}) })), notChecked: h.notChecked } };
        },
        page: async () => {
          await cluster?.flushHistory();
          return { html: healthPage(await healthView(rt, await health(), dcs, alerts)), csp: HEALTH_PAGE_CSP };
        },
      },
      { host: a.host, port: a.port, tls, token: a.token, audit: rt.audit, log: opsLog },
    );
  }

  return {
    ...(admin ? { adminPort: admin.port } : {}),
    ...(alerts ? { alerts } : {}),
    async stop() {
      clearInterval(flusher);
      clearInterval(alertTimer);
      await admin?.stop();
      await alerts?.close();
      await flush();
    },
  };
}

async function alertsFromConfig(rt: Runtime, dcs: () => ReturnType<Runtime['directory']['checkHealth']>, path: (p: string) => string): Promise<Alerts | undefined> {
  const { alerts: a, keys } = rt.config;
  const channels: AlertChannel[] = [];
  if (a.webhook) channels.push(webhookChannel({ ...a.webhook, caPem: a.webhook.caFile ? await readFile(path(a.webhook.caFile), 'utf8') : undefined }));
  if (a.smtp) channels.push(smtpChannel({ ...a.smtp, caPem: a.smtp.caFile ? await readFile(path(a.smtp.caFile), 'utf8') : undefined }));
  if (channels.length === 0) return undefined;
  return new Alerts({
    sources: { store: rt.store, policy: keys, dcs, history: rt.history, now: rt.now },
    thresholds: { certificateWarnDays: a.certificateWarnDays ?? keys.warnDaysBeforeExpiry, rolloverStuckHours: a.rolloverStuckHours, failureSpikePer5Minutes: a.failureSpikePer5Minutes },
    channels,
    service: rt.config.server.publicUrl,
    log: rt.log.child({ part: 'alerts' }),
    // Held over three intervals: a node that dies hands over within that time.
    leaseMs: 3 * a.intervalSeconds * 1000,
  });
}

/** The doctor's server-side checks, run on this node with its store. */
async function serverHealth(rt: Runtime) {
  const plan = doctorChecks(rt.config, { store: () => rt.store, log: rt.log.child({ part: 'health' }), online: false, offlineWhy: 'checked from outside by `gatehouse doctor`', now: rt.now() });
  try {
    const checks = await runChecks(plan.checks);
    return { checks, worst: worstOf(checks), notChecked: plan.notChecked };
  } finally {
    await plan.close();
  }
}

async function healthView(rt: Runtime, health: Awaited<ReturnType<typeof serverHealth>>, dcs: () => ReturnType<Runtime['directory']['checkHealth']>, alerts: Alerts | undefined): Promise<HealthView> {
  const { store, config } = rt;
  const now = new Date();
  await rt.history.flush().catch(() => undefined);
  const [found, keys, runs, events, tokens, failed, firing] = await Promise.all([
    dcs(),
    keysReport(store, rt.entraLink, config.keys, rt.now(), config.keys.warnDaysBeforeExpiry),
    store.sync.recentRuns(1),
    store.audit.recent(RECENT_EVENTS, { type: 'signin' }),
    rt.history.series('tokens', 24, now),
    rt.history.series('failures', 24, now),
    alerts?.firing() ?? [],
  ]);
  const failures = events.filter((e) => e.outcome === 'failure');
  return {
    generatedAt: now,
    node: hostname(),
    publicUrl: config.server.publicUrl,
    checks: health.checks,
    notChecked: health.notChecked,
    dcs: found,
    keys,
    lastSync: runs[0],
    failures: { examined: events.length, since: events.at(-1)?.at, byReason: top(failures.map((e) => e.reason ?? 'unknown')), byAddress: top(failures.map((e) => e.clientIp ?? 'unknown')) },
    tokens,
    failed,
    alerts: firing.map((a) => ({ key: a.key, severity: a.severity, summary: a.summary, since: a.since })),
  };
}

/** Counts of each value, largest first, the ten largest. */
function top(values: string[]): { key: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key)).slice(0, 10);
}

/** `make`'s last result for `ms`, one run at a time. */
function cached<T>(ms: number, make: () => Promise<T>): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (!last || Date.now() - last.at > ms) {
      const value = make();
      last = { at: Date.now(), value };
      value.catch(() => (last = undefined));
    }
    return last.value;
  };
}
