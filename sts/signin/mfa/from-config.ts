import type { Config } from '../../../config/load.js';
import type { Directory } from '../../../directory/types.js';
import type { Audit } from '../../../health/audit.js';
import type { Logger } from '../../../health/log.js';
import { deriveKey } from '../../../keys/sealing.js';
import type { Store } from '../../../store/types.js';
import { SecondFactor } from '../second-factor.js';
import { ExternalHookProvider } from './external.js';
import { MfaFlows } from './flow.js';
import { MfaPolicy } from './policy.js';
import type { MfaProvider } from './provider.js';
import { TotpProvider } from './totp.js';

/** The second-factor step from the `mfa:` section: TOTP first (when the user enrolled), then the hook. */
export function mfaFromConfig(rt: { config: Config; store: Store; kek: Buffer; audit: Audit; directory: Directory; log: Logger }): SecondFactor {
  const { mfa } = rt.config;
  const log = rt.log.child({ part: 'mfa' });
  const totp = mfa.totp.enabled ? new TotpProvider({ store: rt.store.mfa, kek: rt.kek, issuer: mfa.totp.issuer ?? rt.config.branding.organisation, driftSteps: mfa.totp.driftSteps, onFailure: (why) => log.error(why) }) : undefined;
  const external = mfa.external ? new ExternalHookProvider(mfa.external, (why) => log.warn(why)) : undefined;
  const providers: MfaProvider[] = [...(totp ? [totp] : []), ...(external ? [external] : [])];
  return new SecondFactor({
    policy: new MfaPolicy(mfa.policy),
    providers,
    totp,
    enrolment: mfa.totp.enrolment,
    flows: new MfaFlows(rt.kek, rt.store.counters, mfa.challengeMinutes * 60_000),
    audit: rt.audit,
    directory: rt.directory,
    counters: rt.store.counters,
    counterKey: deriveKey(rt.kek, 'mfa failure counter names'),
    maxFailures: mfa.maxFailures,
  });
}
