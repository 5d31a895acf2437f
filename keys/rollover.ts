import type { KeyRecord, KeyUse, Store } from '../store/types.js';
import { generateKey, KeyRefused, promoteKey, retireKey, type GenerateOptions } from './lifecycle.js';

const DAY_MS = 86_400_000;

/**
 * What Entra ID has of our signing certificates, per federated domain (ENTRA.md §1.4: it accepts
 * tokens signed with its `signingCertificate` or its `nextSigningCertificate`). Implemented over
 * Graph in federation/certificates.ts; keys/ only decides.
 */
export interface EntraCertificates {
  /** For each federated domain, the certificates (base64 DER) Entra accepts tokens signed with: one read per domain. */
  accepted(): Promise<{ domain: string; certificates: string[] }[]>;
  /** Sets signingCertificate and nextSigningCertificate of every federated domain. */
  publish(signing: Buffer, next: Buffer | null): Promise<void>;
}

export interface RolloverPolicy {
  autoRollover: boolean;
  generateDaysBeforeExpiry: number;
  promoteDaysAfterGeneration: number;
  /** How a successor is made (size, lifetime; `use`, `subject` and `now` are the rollover's). */
  generate: Omit<GenerateOptions, 'use' | 'now' | 'subject'>;
  subject: (use: KeyUse) => string;
}

/** Whether Entra must know a certificate before it signs tokens: when Entra is a relying party at all. */
export type EntraLink = { kind: 'none' } | { kind: 'unverifiable'; why: string } | { kind: 'graph'; entra: EntraCertificates };

/** The last attempt to write our certificates to Entra, kept in the store for `keys status`, doctor and the backoff. */
export interface PushState {
  signing: string;
  next: string | null;
  ok: boolean;
  at: string;
  attempts: number;
  error?: string;
}

const PUSH_STATE = 'keys.entra-push';
/** Why the last due promotion of a use waited, so a wait that lasts is audited once, not every cycle. */
const waiting = (use: KeyUse) => `keys.promotion-waiting.${use}`;
// Failures retry with exponential backoff from one minute to one hour.
const BACKOFF_MS = { first: 60_000, max: 3_600_000 };

/** For each federated domain of `accepted`, whether it accepts tokens signed with this certificate. */
export function knownBy(accepted: { domain: string; certificates: string[] }[], certificateDer: Buffer): { domain: string; knows: boolean }[] {
  const cert = certificateDer.toString('base64');
  return accepted.map((d) => ({ domain: d.domain, knows: d.certificates.includes(cert) }));
}

/** When the rollover makes a successor of the active key, or undefined when it never will (imported, or rollover off). */
export function generationDue(active: KeyRecord, policy: Pick<RolloverPolicy, 'autoRollover' | 'generateDaysBeforeExpiry'>): Date | undefined {
  return policy.autoRollover && active.origin === 'generated' ? new Date(active.notAfter.getTime() - policy.generateDaysBeforeExpiry * DAY_MS) : undefined;
}

/** When the rollover promotes a next key, or undefined when it never will (imported, or rollover off). */
export function promotionDue(next: KeyRecord, policy: Pick<RolloverPolicy, 'autoRollover' | 'promoteDaysAfterGeneration'>): Date | undefined {
  return policy.autoRollover && next.origin === 'generated' ? new Date(next.createdAt.getTime() + policy.promoteDaysAfterGeneration * DAY_MS) : undefined;
}

export async function readPushState(store: Store): Promise<PushState | undefined> {
  const raw = await store.sync.getValue(PUSH_STATE);
  return raw ? (JSON.parse(raw) as PushState) : undefined;
}

/**
 * Refuses a promotion Entra does not know yet (ENTRA.md §1.4: a token signed with a certificate
 * Entra lacks fails for every federated user — the classic federation outage), unless `force`.
 */
export async function checkEntraKnows(key: Pick<KeyRecord, 'id' | 'use' | 'certificateDer'>, link: EntraLink, force: boolean): Promise<void> {
  if (force || key.use !== 'signing' || link.kind === 'none') return;
  if (link.kind === 'unverifiable') throw new KeyRefused(`cannot check that Entra knows ${key.id} (${link.why}); put it in Entra's federation settings and use --force`);
  const missing = knownBy(await link.entra.accepted(), key.certificateDer).filter((d) => !d.knows).map((d) => d.domain);
  if (missing.length) throw new KeyRefused(`Entra does not know ${key.id} yet for ${missing.join(', ')}: run \`gatehouse keys status\`, fix, or use --force`);
}

/**
 * AD FS's automatic certificate rollover as a persisted state machine: the state is the key
 * records themselves (next / active / previous / retired with their dates) and the last Entra
 * push, so any node can act after another stopped. One node runs `tick` at a time (a lease in the
 * store, sts/runtime.ts); the clock is injected so tests can run a year in seconds.
 */
export class Rollover {
  constructor(
    private readonly deps: { store: Store; policy: RolloverPolicy; entra: EntraLink; now: () => Date },
  ) {}

  async tick(): Promise<void> {
    for (const use of ['signing', 'decrypting'] as const) await this.step(use);
  }

  private async step(use: KeyUse): Promise<void> {
    const { store, policy } = this.deps;
    const now = this.deps.now();
    const keys = await store.keys.list(use);
    const active = keys.find((k) => k.status === 'active');
    if (!active) return;
    for (const old of keys.filter((k) => k.status === 'previous' && k.notAfter <= now)) await retireKey(store, old.id, now);
    let next = keys.find((k) => k.status === 'next');
    const generateAt = generationDue(active, policy);
    if (!next && generateAt && now.getTime() > generateAt.getTime()) {
      next = await generateKey(store, { ...policy.generate, subject: policy.subject(use), use, now }, 'next');
    }
    if (use === 'signing') await this.pushToEntra();
    const promoteAt = next && promotionDue(next, policy);
    if (next && promoteAt && now.getTime() >= promoteAt.getTime()) {
      const why = await this.whyWait(next);
      if (why) return this.wait(next, why, now);
      await store.sync.setValue(waiting(use), null);
      await promoteKey(store, next.id, now);
      if (use === 'signing') await this.pushToEntra();
    }
  }

  /** Why `key` cannot be promoted yet: Entra does not know it, or could not be asked. */
  private async whyWait(key: KeyRecord): Promise<string | undefined> {
    try {
      await checkEntraKnows(key, this.deps.entra, false);
      return undefined;
    } catch (err) {
      // A Graph outage is a wait too, retried next cycle; it must not stop the rest of the rollover.
      return err instanceof KeyRefused ? err.message : `Entra could not be asked: ${(err as Error).message}`;
    }
  }

  /**
   * A due promotion waits. Audited when the reason changes, not every cycle; and Entra is written
   * again (with the push's backoff), since what it lacks is exactly what the push would give it.
   */
  private async wait(key: KeyRecord, reason: string, now: Date): Promise<void> {
    const { store } = this.deps;
    if ((await store.sync.getValue(waiting(key.use))) !== reason) {
      await store.audit.append({ at: now, type: 'key.promotion-waiting', outcome: 'failure', reason, details: { id: key.id } });
      await store.sync.setValue(waiting(key.use), reason);
      const last = await readPushState(store);
      if (last?.ok) await store.sync.setValue(PUSH_STATE, null);
    }
  }

  /**
   * Set-AdfsCertificate -IsPrimary by the operator: refused until Entra knows the certificate
   * (unless `force`), then promoted and Entra given the new pair at once.
   */
  async promote(id: string, force: boolean): Promise<{ promoted: KeyRecord; demoted: KeyRecord | undefined }> {
    const key = await this.deps.store.keys.get(id);
    if (!key) throw new KeyRefused(`no certificate ${id}`);
    await checkEntraKnows(key, this.deps.entra, force);
    const done = await promoteKey(this.deps.store, key.id, this.deps.now());
    if (key.use === 'signing') await this.pushToEntra();
    return done;
  }

  /**
   * Entra gets what metadata publishes: signingCertificate = the active certificate,
   * nextSigningCertificate = the next one, else the previous one while tokens it signed may still
   * arrive. Written when that pair changes, and again after a failure once its backoff has passed.
   */
  async pushToEntra(): Promise<void> {
    const { store, entra } = this.deps;
    if (entra.kind !== 'graph') return;
    const now = this.deps.now();
    const keys = await store.keys.list('signing');
    const active = keys.find((k) => k.status === 'active');
    if (!active) return;
    const second = keys.find((k) => k.status === 'next') ?? keys.filter((k) => k.status === 'previous' && k.notAfter > now).at(-1);
    const last = await readPushState(store);
    const same = last?.signing === active.id && last.next === (second?.id ?? null);
    if (same && last.ok) return;
    if (same && !last.ok && now.getTime() < Date.parse(last.at) + Math.min(BACKOFF_MS.first * 2 ** (last.attempts - 1), BACKOFF_MS.max)) return;
    const attempts = same ? last.attempts + 1 : 1;
    const state: PushState = { signing: active.id, next: second?.id ?? null, ok: true, at: now.toISOString(), attempts };
    try {
      await entra.entra.publish(active.certificateDer, second?.certificateDer ?? null);
      await store.audit.append({ at: now, type: 'key.entra-updated', outcome: 'success', details: { signing: active.id, next: second?.id ?? 'none' } });
    } catch (err) {
      state.ok = false;
      state.error = (err as Error).message.slice(0, 500);
      await store.audit.append({ at: now, type: 'key.entra-updated', outcome: 'failure', reason: state.error, details: { signing: active.id, attempts } });
    }
    await store.sync.setValue(PUSH_STATE, JSON.stringify(state));
  }
}
