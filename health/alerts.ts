import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { DcHealth } from '../directory/types.js';
import { generationDue, promotionDue, type RolloverPolicy } from '../keys/rollover.js';
import { daysLeft } from '../keys/validity.js';
import type { Store } from '../store/types.js';
import type { AlertChannel, AlertMessage } from './alert-channels.js';
import { BUCKET_MS, type SignInHistory } from './history.js';

/** A condition that holds now; its `key` stays the same for as long as it holds. */
export interface Condition {
  key: string;
  kind: 'certificate-expiry' | 'rollover-stuck' | 'dc-down' | 'failure-spike' | 'sync-errors' | 'sync-delete-threshold';
  severity: 'warning' | 'critical';
  summary: string;
  details: Record<string, string | number | boolean>;
}

export interface AlertThresholds {
  certificateWarnDays: number;
  rolloverStuckHours: number;
  failureSpikePer5Minutes: number;
}

export interface ConditionSources {
  store: Store;
  policy: Pick<RolloverPolicy, 'autoRollover' | 'generateDaysBeforeExpiry' | 'promoteDaysAfterGeneration'>;
  /** The DCs as a fresh connection and service bind find them now. */
  dcs: () => Promise<DcHealth[]>;
  history: SignInHistory;
  /** The certificate lifecycle clock (tests move it); failure counts use the real time. */
  now: () => Date;
}

const HOUR_MS = 3_600_000;

/** Every condition an operator must hear about, as it stands now. */
export async function currentConditions(s: ConditionSources, t: AlertThresholds): Promise<Condition[]> {
  const now = s.now();
  const found: Condition[] = [];
  const keys = await s.store.keys.list();
  // Certificates in use: a previous one is still published but expected to run out.
  for (const k of keys.filter((k) => k.status === 'active' || k.status === 'next')) {
    const left = daysLeft(k.notAfter, now);
    if (left >= t.certificateWarnDays) continue;
    found.push({
      key: `certificate-expiry:${k.id}`,
      kind: 'certificate-expiry',
      severity: left < 7 ? 'critical' : 'warning',
      summary: left < 0 ? `The ${k.status} ${k.use} certificate ${k.id} has expired` : `The ${k.status} ${k.use} certificate ${k.id} expires in ${left} days`,
      details: { thumbprint: k.id, role: k.use, state: k.status, notAfter: k.notAfter.toISOString(), daysLeft: left },
    });
  }
  for (const use of ['signing', 'decrypting'] as const) {
    const active = keys.find((k) => k.use === use && k.status === 'active');
    const next = keys.find((k) => k.use === use && k.status === 'next');
    const due = next ? promotionDue(next, s.policy) : active ? generationDue(active, s.policy) : undefined;
    if (!due || now.getTime() - due.getTime() < t.rolloverStuckHours * HOUR_MS) continue;
    const step = next ? `promotion of the next ${use} certificate ${next.id}` : `generation of a successor to the ${use} certificate ${active!.id}`;
    found.push({
      key: `rollover-stuck:${use}`,
      kind: 'rollover-stuck',
      severity: 'critical',
      summary: `Certificate rollover is stuck: the ${step} was due ${due.toISOString().slice(0, 10)}`,
      details: { role: use, due: due.toISOString(), ...(next ? { next: next.id } : {}), hint: 'gatehouse keys status' },
    });
  }
  for (const dc of await s.dcs()) {
    if (dc.ok) continue;
    found.push({ key: `dc-down:${dc.dc}`, kind: 'dc-down', severity: 'critical', summary: `Domain controller ${dc.dc} is down`, details: { dc: dc.dc, error: dc.error ?? 'no answer' } });
  }
  if (t.failureSpikePer5Minutes > 0) {
    // The bucket under way and the last full one: a spike is seen within five minutes, and not missed at a bucket's edge.
    const [previous, current] = (await s.history.series('failures', (2 * BUCKET_MS) / HOUR_MS)).map((b) => b.value);
    const worst = Math.max(previous ?? 0, current ?? 0);
    if (worst >= t.failureSpikePer5Minutes) {
      found.push({ key: 'failure-spike', kind: 'failure-spike', severity: 'warning', summary: `${worst} sign-ins failed within five minutes (alert from ${t.failureSpikePer5Minutes})`, details: { failures: worst, threshold: t.failureSpikePer5Minutes } });
    }
  }
  const [run] = await s.store.sync.recentRuns(1);
  if (run?.outcome === 'failed' || run?.outcome === 'partial') {
    found.push({ key: 'sync-errors', kind: 'sync-errors', severity: run.outcome === 'failed' ? 'critical' : 'warning', summary: `The last sync run ${run.outcome === 'failed' ? 'failed' : 'had errors'}${run.message ? `: ${run.message}` : ''}`, details: { run: run.id, outcome: run.outcome, errors: run.counts.errors ?? 0 } });
  } else if (run?.outcome === 'stopped') {
    found.push({ key: 'sync-delete-threshold', kind: 'sync-delete-threshold', severity: 'critical', summary: `Sync stopped at the delete threshold${run.message ? `: ${run.message}` : ''}`, details: { run: run.id } });
  }
  return found;
}

/** What has been sent per channel and not yet resolved, in the store so a restart or another node does not send it again. */
type Sent = Record<string, Record<string, Condition & { since: string }>>;
const SENT = 'alerts.sent';
/** One node evaluates and sends at a time (as keys rollover's lease): two nodes must not both announce an alert. */
export const ALERTS_LEASE = 'alerts';

/**
 * Alerts: on every tick one node (by a lease) compares the conditions with what each channel was
 * told, sends a `firing` message for each new one and a `resolved` one for each that cleared, and
 * records it per channel once the channel took it. A channel that fails is told on a later tick;
 * the others are not told twice.
 */
export class Alerts {
  private readonly holder = `${hostname()}:${process.pid}:${randomUUID()}`;

  constructor(
    private readonly deps: {
      sources: ConditionSources;
      thresholds: AlertThresholds;
      channels: AlertChannel[];
      service: string;
      log: Logger;
      leaseMs: number;
    },
  ) {}

  /** The alerts firing now as the channels were told of them (the health page lists them). */
  async firing(): Promise<(Condition & { since: string })[]> {
    const sent = await this.read();
    const all = new Map<string, Condition & { since: string }>();
    for (const byKey of Object.values(sent)) for (const [key, c] of Object.entries(byKey)) all.set(key, c);
    return [...all.values()].sort((a, b) => b.since.localeCompare(a.since));
  }

  /** One evaluation; false when another node holds the lease (it evaluates instead). */
  async tick(): Promise<boolean> {
    const { store } = this.deps.sources;
    const real = new Date();
    if (!(await store.sync.acquireLease(ALERTS_LEASE, this.holder, new Date(real.getTime() + this.deps.leaseMs), real))) return false;
    const conditions = new Map((await currentConditions(this.deps.sources, this.deps.thresholds)).map((c) => [c.key, c]));
    const sent = await this.read();
    const at = this.deps.sources.now().toISOString();
    for (const channel of this.deps.channels) {
      const told = (sent[channel.name] ??= {});
      for (const [key, c] of conditions) {
        if (told[key]) continue;
        const since = at;
        if (await this.deliver(channel, { ...c, status: 'firing', since, at })) told[key] = { ...c, since };
      }
      for (const [key, c] of Object.entries(told)) {
        if (conditions.has(key)) continue;
        const { since, ...condition } = c;
        if (await this.deliver(channel, { ...condition, status: 'resolved', since, at })) delete told[key];
      }
    }
    await store.sync.setValue(SENT, JSON.stringify(sent));
    return true;
  }

  async close(): Promise<void> {
    await this.deps.sources.store.sync.releaseLease(ALERTS_LEASE, this.holder).catch(() => undefined);
    await Promise.all(this.deps.channels.map((c) => c.close()));
  }

  private async deliver(channel: AlertChannel, m: Omit<AlertMessage, 'service' | 'node'>): Promise<boolean> {
    try {
      await channel.send({ ...m, service: this.deps.service, node: hostname() });
      this.deps.log.info({ channel: channel.name, alert: m.key, status: m.status }, `alert ${m.status}: ${m.summary}`);
      return true;
    } catch (err) {
      this.deps.log.error({ channel: channel.name, alert: m.key, status: m.status, error: (err as Error).message }, 'alert not delivered; tried again on the next evaluation');
      return false;
    }
  }

  private async read(): Promise<Sent> {
    const raw = await this.deps.sources.store.sync.getValue(SENT);
    return raw ? (JSON.parse(raw) as Sent) : {};
  }
}
