import type { Config } from '../config/load.js';
import type { AdLockoutPolicy, Directory } from '../directory/types.js';
import type { Logger } from './log.js';
import { fail, pass, warn, type CheckResult, type DoctorCheck } from './doctor.js';

/**
 * Extranet smart lockout must never lock the AD account: AD FS requires ExtranetLockoutThreshold
 * below AD's lockout threshold (and, in enforce mode, AD counts the familiar and the unfamiliar
 * failures both, so their sum must stay below it). The bad passwords we let reach AD per
 * observation window — extranetThreshold + familiarThreshold in enforce mode, extranetThreshold
 * in logOnly (one counter for any location) — are compared with the lowest non-zero threshold of
 * the domain's policy and of every fine-grained password policy (PSO) we can read.
 */
export function eslAgainstAd(lockout: Config['lockout'], policy: AdLockoutPolicy): CheckResult {
  const fix = (limit: number) => `lower lockout.extranetThreshold${lockout.mode === 'enforce' ? ' and lockout.familiarThreshold so their sum stays' : ' to stay'} below ${limit}, or raise AD’s lockout threshold`;
  const thresholds = [{ name: 'the domain policy', threshold: policy.domain }, ...policy.psos.map((p) => ({ name: `PSO ${p.name}`, threshold: p.threshold }))].filter((t) => t.threshold > 0);
  const lowest = thresholds.sort((a, b) => a.threshold - b.threshold)[0];
  const unread = policy.psosReadable ? '' : '; the Password Settings Container could not be read, so a PSO with a lower threshold would go unseen';
  // AD hides PSOs from whom may not read them (by default all but administrators), and most domains
  // have none: seeing none is said, not warned of, as it cannot be told from having none.
  const unseen = policy.psosReadable && policy.psos.length === 0 ? ' (no PSO is visible to the service account; one with a lower threshold would go unseen unless it may read them)' : '';
  const unreadFix = 'let the service account read CN=Password Settings Container,CN=System (its PSOs’ msDS-LockoutThreshold)';
  if (lockout.extranetThreshold === 0) {
    if (!lowest) return unread ? warn(`extranet lockout is off and the domain policy locks no account${unread}`, unreadFix) : pass(`AD locks no account and extranet lockout is off${unseen}`);
    return warn(`extranet lockout is off: a password spray from outside can lock AD accounts (AD locks at ${lowest.threshold}, ${lowest.name})`, `set lockout.extranetThreshold below ${lowest.threshold}`);
  }
  const familiar = lockout.familiarThreshold ?? lockout.extranetThreshold;
  const budget = lockout.mode === 'enforce' ? lockout.extranetThreshold + familiar : lockout.extranetThreshold;
  const spent = lockout.mode === 'enforce' ? `${budget} bad passwords (extranetThreshold ${lockout.extranetThreshold} + familiarThreshold ${familiar})` : `${budget} bad passwords (extranetThreshold, logOnly mode)`;
  if (!lowest) return unread ? warn(`the domain policy locks no account${unread}`, unreadFix) : pass(`AD locks no account; extranet lockout lets ${spent} through${unseen}`);
  if (budget >= lowest.threshold) return fail(`extranet lockout lets ${spent} reach AD, which locks at ${lowest.threshold} (${lowest.name}): a spray can lock AD accounts`, fix(lowest.threshold));
  const detail = `extranet lockout lets ${spent} reach AD, below its lowest lockout threshold ${lowest.threshold} (${lowest.name})`;
  return unread ? warn(`${detail}${unread}`, unreadFix) : pass(`${detail}${unseen}`);
}

/** The doctor's check of the thresholds against AD's, over the directory the other directory checks opened. */
export function adLockoutCheck(lockout: Config['lockout'], directory: () => Promise<Directory>): DoctorCheck {
  return {
    name: 'extranet lockout vs AD lockout',
    run: async () => {
      const d = await directory();
      if (!d.lockoutPolicy) return pass('the directory locks no account');
      return eslAgainstAd(lockout, await d.lockoutPolicy());
    },
  };
}

/**
 * At start, the same comparison as the doctor's, logged as a warning when the thresholds could let
 * a spray lock AD accounts (or AD's could not be read). It never holds up or stops the start: AD
 * may be slow to answer, and an operator may have chosen so knowingly.
 */
export async function warnIfEslCanLockAd(lockout: Config['lockout'], directory: Directory, log: Pick<Logger, 'warn'>): Promise<void> {
  if (!directory.lockoutPolicy) return;
  try {
    const result = eslAgainstAd(lockout, await directory.lockoutPolicy());
    if (result.status !== 'pass') log.warn({ detail: result.detail, fix: result.fix }, 'lockout: extranet lockout thresholds against AD’s');
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'lockout: AD’s lockout threshold could not be read; run gatehouse doctor');
  }
}
