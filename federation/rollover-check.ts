import type { Config } from '../config/load.js';
import { fail, pass, warn, type DoctorCheck } from '../health/doctor.js';
import { keysReport } from '../keys/status.js';
import type { Store } from '../store/types.js';

/**
 * The certificate rollover is not stuck (`gatehouse keys status`): its last write of our
 * certificates to Entra succeeded, and a next certificate due for promotion is not waiting for an
 * Entra that does not know it (ENTRA.md §1.4). Whether Entra's settings equal ours is the
 * `entra federation` checks' part; the active certificate's own expiry the `signing certificate` check's.
 */
export function rolloverCheck(config: Config, store: () => Store, now = new Date()): DoctorCheck {
  return {
    name: 'certificate rollover',
    run: async () => {
      const report = await keysReport(store(), { kind: 'none' }, config.keys, now, config.keys.warnDaysBeforeExpiry);
      const push = report.entraPush;
      if (push && !push.ok) {
        return fail(`writing our certificates to Entra failed ${push.attempts} time(s), last at ${push.at}: ${push.error ?? ''}`, 'check the graph: app registration (Domain-InternalFederation.ReadWrite.All); Gatehouse retries with backoff, or run `gatehouse federation apply`');
      }
      const due = report.rollover.promoteNextAt;
      const next = report.keys.find((k) => k.role === 'signing' && k.state === 'next');
      if (next && due && Date.parse(due) < now.getTime() - 86_400_000) {
        return warn(`the next certificate ${next.thumbprint} was due for promotion on ${due.slice(0, 10)} and is still waiting`, 'see `gatehouse keys status`: Entra must know it first (`gatehouse federation apply`), or promote it with `gatehouse keys promote --force`');
      }
      const plan = report.rollover.generateNextAt ? `next certificate generated from ${report.rollover.generateNextAt.slice(0, 10)}` : due ? `next certificate ${next?.thumbprint} promoted from ${due.slice(0, 10)}` : 'nothing due';
      return pass(`automatic rollover ${report.rollover.autoRollover ? 'on' : 'off'}: ${plan}${push ? `; Entra last written ${push.at.slice(0, 10)}` : ''}`);
    },
  };
}
