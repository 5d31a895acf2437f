import type { KeyRecord, Store } from '../store/types.js';
import { describeCertificate } from './certificate.js';
import { generationDue, knownBy, promotionDue, readPushState, type EntraLink, type PushState, type RolloverPolicy } from './rollover.js';
import { daysLeft } from './validity.js';

export interface KeyRow {
  thumbprint: string;
  role: KeyRecord['use'];
  state: KeyRecord['status'];
  origin: KeyRecord['origin'];
  subject: string;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  /** Per federated domain, whether Entra accepts tokens signed with it; absent when Entra was not asked. */
  entra?: { domain: string; knows: boolean }[];
}

export interface KeysReport {
  keys: KeyRow[];
  /** When the rollover will act next, for the signing certificates. */
  rollover: { autoRollover: boolean; generateNextAt?: string; promoteNextAt?: string };
  entraPush?: PushState;
  /** Entra knows the active certificate and the next one everywhere: undefined when it cannot be asked. */
  entraInStep?: boolean;
  /** Each a line an operator can act on; empty when all is well. */
  problems: string[];
}

/**
 * `gatehouse keys status` and the doctor's certificate check (Get-AdfsCertificate with what Entra
 * has): every certificate, when the rollover acts next, and whether Entra is in step — read live
 * from Graph, so a change made behind Gatehouse's back shows.
 */
export async function keysReport(store: Store, link: EntraLink, policy: Pick<RolloverPolicy, 'autoRollover' | 'generateDaysBeforeExpiry' | 'promoteDaysAfterGeneration'>, now: Date, warnDays: number): Promise<KeysReport> {
  const records = await store.keys.list();
  const keys: KeyRow[] = [];
  const problems: string[] = [];
  // Entra read once for all certificates. Graph down is a problem to report, not a reason to show
  // no certificates (Get-AdfsCertificate needs no Entra).
  let entraError: string | undefined;
  const accepted = link.kind === 'graph'
    ? await link.entra.accepted().catch((err: unknown) => {
      entraError = (err as Error).message;
      return undefined;
    })
    : undefined;
  for (const k of records) {
    const c = describeCertificate(k.certificateDer);
    const row: KeyRow = { thumbprint: k.id, role: k.use, state: k.status, origin: k.origin, subject: c.subject, notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString(), daysLeft: daysLeft(c.notAfter, now) };
    if (accepted && k.use === 'signing' && k.status !== 'retired') row.entra = knownBy(accepted, k.certificateDer);
    keys.push(row);
  }
  if (entraError !== undefined) problems.push(`Entra could not be asked which certificates it knows: ${entraError}`);
  const active = records.find((k) => k.use === 'signing' && k.status === 'active');
  const next = records.find((k) => k.use === 'signing' && k.status === 'next');
  const rollover: KeysReport['rollover'] = { autoRollover: policy.autoRollover };
  if (!active) problems.push('no active signing certificate: start the server once or run `gatehouse keys generate`');
  if (active && !next) {
    const left = daysLeft(active.notAfter, now);
    const generateAt = generationDue(active, policy);
    if (generateAt) rollover.generateNextAt = generateAt.toISOString();
    else if (left < warnDays) problems.push(`the active signing certificate ${active.id} expires in ${left} days and no next certificate exists: import or generate one (\`gatehouse keys import\` / \`keys generate\`)`);
  }
  const promoteAt = next && promotionDue(next, policy);
  if (promoteAt) rollover.promoteNextAt = promoteAt.toISOString();

  const entraPush = await readPushState(store);
  if (entraPush && !entraPush.ok) problems.push(`the last update of Entra's federation settings failed (${entraPush.attempts} attempts, ${entraPush.at}): ${entraPush.error ?? ''}`);
  let entraInStep: boolean | undefined;
  if (link.kind === 'graph' && entraError === undefined) {
    entraInStep = true;
    for (const k of [active, next]) {
      const row = k && keys.find((r) => r.thumbprint === k.id);
      for (const d of row?.entra ?? []) {
        if (d.knows) continue;
        entraInStep = false;
        problems.push(`Entra does not know the ${row!.state} signing certificate ${row!.thumbprint} for ${d.domain} (never written, or changed behind Gatehouse's back): \`gatehouse federation apply\` writes ours`);
      }
    }
  } else if (link.kind === 'unverifiable' && next) {
    problems.push(`cannot check that Entra knows the next certificate ${next.id} (${link.why}); it will not be promoted automatically`);
  }
  return { keys, rollover, ...(entraPush ? { entraPush } : {}), ...(entraInStep !== undefined ? { entraInStep } : {}), problems };
}
