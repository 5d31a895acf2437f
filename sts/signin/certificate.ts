import { DirectoryUnavailable } from '../../directory/pool.js';
import type { Directory, DirectoryUser } from '../../directory/types.js';
import { certificateNames, type CertificateNames } from '../../keys/user-certificate.js';

/** How a certificate names its user (config certificateAuth.mapping), tried in the configured order. */
export type CertificateMapping = 'upn' | 'altSecurityIdentities';

export type CertificateFailure = 'certificate-not-mapped' | 'account-disabled' | 'account-expired' | 'locked-out' | 'directory-unavailable';

export type CertificateResult =
  | { ok: true; user: DirectoryUser; mappedBy: CertificateMapping; names: CertificateNames }
  | { ok: false; reason: CertificateFailure; names: CertificateNames; upn?: string };

const ACCOUNT_REFUSAL = { disabled: 'account-disabled', expired: 'account-expired', 'locked-out': 'locked-out' } as const;

/**
 * The certificate first factor, for a certificate the listener already validated (chain, EKU,
 * revocation): the AD account it names, found by each configured mapping in turn — the first that
 * finds one account wins — and then the account checks a password sign-in gets from AD's bind
 * (disabled, expired, locked: AD refuses a smart card logon for them too). The extranet lockout
 * counts bad passwords and is not touched: AD FS applies it to username/password only, and a
 * certificate is no guess.
 */
export async function checkCertificate(deps: { directory: Directory }, der: Buffer, order: readonly CertificateMapping[]): Promise<CertificateResult> {
  const names = certificateNames(der);
  for (const mapping of order) {
    let user: DirectoryUser | null;
    try {
      user = await find(deps.directory, mapping, names);
    } catch (err) {
      if (!(err instanceof DirectoryUnavailable)) throw err;
      return { ok: false, reason: 'directory-unavailable', names };
    }
    if (!user) continue;
    if (user.accountState !== 'enabled') return { ok: false, reason: ACCOUNT_REFUSAL[user.accountState], names, upn: user.upn };
    return { ok: true, user, mappedBy: mapping, names };
  }
  return { ok: false, reason: 'certificate-not-mapped', names };
}

/** One mapping's lookup; a certificate with several SAN UPNs names no one by UPN (which would it be?). */
async function find(directory: Directory, mapping: CertificateMapping, names: CertificateNames): Promise<DirectoryUser | null> {
  if (mapping === 'upn') {
    const [upn, ...more] = names.upns;
    return upn && more.length === 0 ? directory.findUser({ upn }) : null;
  }
  return directory.findUser({ altSecurityIdentities: names.altSecurityIdentities });
}
