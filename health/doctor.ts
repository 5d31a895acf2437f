import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { directoryFromConfig } from '../directory/from-config.js';
import type { DcHealth, Directory } from '../directory/types.js';
import { describeCertificate } from '../keys/certificate.js';
import { signingKeyOptions } from '../keys/from-config.js';
import { unsealPrivateKey } from '../keys/keystore.js';
import { daysLeft } from '../keys/validity.js';
import type { Store, SyncRunRecord } from '../store/types.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';

/** What one check found; `fix` is the one line that tells an operator what to do about a warn or fail. */
export interface CheckResult {
  status: CheckStatus;
  detail: string;
  fix?: string;
}

/**
 * One thing `gatehouse doctor` checks. Each unit provides its own (directory and keys here, the
 * metadata in metadata/, Entra's federation settings and the synthetic sign-in in federation/);
 * cli/doctor.ts puts the list together. A check that throws fails with the error's message.
 */
export interface DoctorCheck {
  name: string;
  run(): Promise<CheckResult>;
}

export interface CheckReport extends CheckResult {
  name: string;
}

const RANK: Record<CheckStatus, number> = { pass: 0, warn: 1, fail: 2 };

/** Exit code of `doctor` by its worst result (2 is taken by a bad config). */
export const DOCTOR_EXIT: Record<CheckStatus, number> = { pass: 0, fail: 1, warn: 3 };

/** Runs the checks one after the other, in order, so the report reads top-down like the chain it walks. */
export async function runChecks(checks: readonly DoctorCheck[]): Promise<CheckReport[]> {
  const reports: CheckReport[] = [];
  for (const check of checks) {
    try {
      reports.push({ name: check.name, ...(await check.run()) });
    } catch (err) {
      reports.push({ name: check.name, status: 'fail', detail: (err as Error).message.split('\n')[0] ?? 'failed' });
    }
  }
  return reports;
}

export function worstOf(reports: readonly CheckReport[]): CheckStatus {
  return reports.reduce<CheckStatus>((w, r) => (RANK[r.status] > RANK[w] ? r.status : w), 'pass');
}

export const pass = (detail: string): CheckResult => ({ status: 'pass', detail });
export const warn = (detail: string, fix: string): CheckResult => ({ status: 'warn', detail, fix });
export const fail = (detail: string, fix: string): CheckResult => ({ status: 'fail', detail, fix });

/** The config was read and validated (a bad one never gets this far: loadConfig exits 2 naming the key). */
export function configCheck(config: Config): DoctorCheck {
  return { name: 'config', run: async () => pass(config.file) };
}

/** The store opens and answers a read. */
export function storeCheck(config: Config, store: () => Store): DoctorCheck {
  return {
    name: 'store',
    run: async () => {
      const keys = await store().keys.list();
      return pass(`${config.store.kind} ${config.store.sqlitePath}, ${keys.length} key(s)`);
    },
  };
}

/**
 * Every DC by a fresh connection and a service-account bind, with its latency, and the clock
 * against theirs. One round of `checkHealth` serves all of these checks; `close` ends it.
 * `now` is the local clock the skew is measured with, which a test may shift (the only reader of
 * the GATEHOUSE_DOCTOR_CLOCK_OFFSET_MS test hook is cli/doctor.ts, for this check).
 */
export function directoryChecks(config: Config, log: Logger, now: () => Date): { checks: DoctorCheck[]; open(): Promise<Directory>; close(): Promise<void> } {
  let directory: Awaited<ReturnType<typeof directoryFromConfig>> | undefined;
  let health: Promise<{ at: Date; dcs: DcHealth[] }> | undefined;
  const measure = () =>
    (health ??= (async () => {
      directory = await directoryFromConfig(config, log);
      const dcs = await directory.checkHealth();
      return { at: now(), dcs };
    })());
  const dir = config.directory;
  const urls = dir.kind === 'ldap' ? dir.dcs : [`file:${dir.path}`];
  const slow = dir.kind === 'ldap' ? dir.operationTimeoutMs / 2 : Infinity;
  const checks: DoctorCheck[] = urls.map((url) => ({
    name: `directory ${url}`,
    run: async () => {
      const dc = (await measure()).dcs.find((d) => d.dc === url);
      if (!dc?.ok) return fail(dc?.error ?? 'no answer', 'start the DC or fix its address, LDAPS certificate (directory.caFile) or the service account; sign-ins fail over to the next DC meanwhile');
      if (dc.ms > slow) return warn(`service bind ok but slow: ${dc.ms} ms`, 'look at the DC’s load and the network path; sign-ins wait this long for every bind');
      return pass(`service bind ok in ${dc.ms} ms`);
    },
  }));
  if (dir.kind === 'ldap') checks.push(clockCheck(config, measure));
  // The directory the checks above measured, for checks of what it holds (sts/doctor-checks.ts).
  const open = async (): Promise<Directory> => {
    await measure();
    return directory!;
  };
  return { checks, open, close: async () => directory?.close() };
}

/**
 * Our clock against the DCs': AD refuses Kerberos beyond 5 minutes' skew, and tokens we issue
 * start at our now, which Entra compares with its own within a tolerance (ENTRA.md §2.5,
 * *(unconfirmed)*, assumed 5 minutes). Fails beyond `doctor.maxClockSkewSeconds`, warns from a fifth.
 */
function clockCheck(config: Config, measure: () => Promise<{ at: Date; dcs: DcHealth[] }>): DoctorCheck {
  const max = config.doctor.maxClockSkewSeconds;
  return {
    name: 'clock',
    run: async () => {
      const { at, dcs } = await measure();
      const timed = dcs.filter((d): d is DcHealth & { currentTime: Date } => d.currentTime !== undefined);
      if (timed.length === 0) return warn('no domain controller told its time', 'see the directory checks above');
      const [far] = timed.map((d) => ({ dc: d.dc, skew: (at.getTime() - d.currentTime.getTime()) / 1000 })).sort((a, b) => Math.abs(b.skew) - Math.abs(a.skew));
      const text = `${Math.abs(far!.skew).toFixed(0)} s ${far!.skew >= 0 ? 'ahead of' : 'behind'} ${far!.dc}`;
      const fix = 'synchronise this machine’s clock with the domain’s time source (NTP / w32time on the PDC emulator)';
      if (Math.abs(far!.skew) > max) return fail(text, fix);
      // The DC's currentTime has whole seconds, so a skew under two seconds is noise.
      if (Math.abs(far!.skew) > Math.max(2, max / 5)) return warn(text, fix);
      return pass(`${text} (at most ${max} s allowed)`);
    },
  };
}

/**
 * The active signing key: decryptable, valid now, days left; within `keys.warnDaysBeforeExpiry` a
 * next key must exist (or automatic rollover be about to make it), so Entra can be given it before
 * the switch (ENTRA.md §1.4). Whether Entra has them is the `entra federation` checks' part.
 */
export function signingCertificateCheck(config: Config, store: () => Store, now = new Date()): DoctorCheck {
  return {
    name: 'signing certificate',
    run: async () => {
      const kek = signingKeyOptions(config).kek;
      const keys = await store().keys.list('signing');
      const active = keys.filter((k) => k.status === 'active');
      const next = keys.find((k) => k.status === 'next');
      if (active.length === 0) return fail('no active signing key', 'start the server once or run `gatehouse keys generate`');
      const results = active.map((k) => {
        const info = describeCertificate(k.certificateDer);
        const days = daysLeft(info.notAfter, now);
        unsealPrivateKey(k.sealedPrivateKey, kek, k.id);
        const detail = `${k.id} ${info.subject}, ${info.notBefore <= now && days >= 0 ? `${days} days left` : 'not valid now'}`;
        if (info.notBefore > now || days < 0) return fail(detail, 'run `gatehouse keys generate`, make it the active key and `gatehouse federation apply`');
        if (days < config.keys.warnDaysBeforeExpiry) {
          // AD FS AutoCertificateRollover makes the next key itself, keys.generateDaysBeforeExpiry ahead.
          const automatic = config.keys.autoRollover && k.origin === 'generated' && days > config.keys.generateDaysBeforeExpiry;
          if (!next && automatic) return pass(`${detail}; automatic rollover makes the next key ${config.keys.generateDaysBeforeExpiry} days before expiry`);
          if (!next) return warn(`${detail}, and no next key`, 'run `gatehouse keys generate` for a next key, then `gatehouse federation apply` so Entra accepts it (ENTRA.md §1.4)');
          return pass(`${detail}; next key ${next.id} ready`);
        }
        return pass(detail);
      });
      return results.find((r) => r.status === 'fail') ?? results.find((r) => r.status === 'warn') ?? results[0]!;
    },
  };
}

const OUTCOME_PROBLEM: Partial<Record<SyncRunRecord['outcome'], { status: 'warn' | 'fail'; fix: string }>> = {
  partial: { status: 'warn', fix: 'see `gatehouse sync status` for the objects that failed; they are retried on the next run' },
  failed: { status: 'fail', fix: 'see `gatehouse sync status` and the log of the run; fix and run `gatehouse sync run`' },
  stopped: { status: 'fail', fix: 'review the deletions with `gatehouse sync preview`; if they are meant, raise sync.deleteThreshold for one run' },
};

/**
 * The last AD → Entra sync run (the journal in the store): how it ended and how long ago; a
 * scheduled sync that has not run for three intervals has stopped (Entra Connect Health's "sync
 * has not run" alert).
 */
export function syncCheck(config: Config, store: () => Store, now = new Date()): DoctorCheck {
  return {
    name: 'sync',
    run: async () => {
      const [run] = await store().sync.recentRuns(1);
      if (!run) return pass('no sync run recorded (`gatehouse sync run` starts one)');
      const at = run.finishedAt ?? run.startedAt;
      const minutes = Math.round((now.getTime() - at.getTime()) / 60_000);
      const detail = `last run ${run.mode} ${run.outcome} ${minutes} min ago${run.message ? `: ${run.message}` : ''}`;
      const problem = OUTCOME_PROBLEM[run.outcome];
      if (problem) return { status: problem.status, detail, fix: problem.fix };
      if (minutes > 3 * config.sync.scheduleMinutes) return warn(detail, `a scheduled sync runs every ${config.sync.scheduleMinutes} min: see whether \`gatehouse sync schedule\` is running`);
      return pass(detail);
    },
  };
}
