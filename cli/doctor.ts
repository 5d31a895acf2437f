import { loadConfig } from '../config/load.js';
import { DOCTOR_EXIT, runChecks, worstOf } from '../health/doctor.js';
import { createLogger } from '../health/log.js';
import { openStore, type Store } from '../store/index.js';
import { doctorChecks, once } from '../sts/doctor-checks.js';

/**
 * Test hook, read here and handed to the clock check only: shifts the local clock that check
 * compares with the DCs' by this many milliseconds, so a test can show a skew without changing
 * the machine's time.
 */
function clockForSkewCheck(): () => Date {
  const offset = Number(process.env.GATEHOUSE_DOCTOR_CLOCK_OFFSET_MS ?? 0) || 0;
  return () => new Date(Date.now() + offset);
}

/** The whole chain, in the order a sign-in walks it (sts/doctor-checks.ts). */
export async function doctorCommand(o: { config: string; json?: boolean; offline?: boolean }): Promise<void> {
  const config = await loadConfig(o.config);
  const store = once((): Store => openStore(config));
  const plan = doctorChecks(config, { store, log: createLogger('silent' as 'info'), online: o.offline !== true, offlineWhy: '--offline', clockForSkew: clockForSkewCheck() });
  const { notChecked } = plan;
  let reports;
  try {
    reports = await runChecks(plan.checks);
  } finally {
    await plan.close();
    // A store that did not open has nothing to close (the store check reported why).
    await Promise.resolve().then(() => store().close()).catch(() => undefined);
  }
  const worst = worstOf(reports);
  if (o.json) {
    const rows = reports.map((r) => ({ part: r.name, status: r.status, ok: r.status !== 'fail', detail: r.detail, ...(r.fix ? { fix: r.fix } : {}) }));
    process.stdout.write(`${JSON.stringify({ ok: worst !== 'fail', worst, checks: rows, notChecked }, null, 2)}\n`);
  } else {
    const label = { pass: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;
    for (const r of reports) process.stdout.write(`${label[r.status]}  ${r.name}: ${r.detail}${r.fix ? `\n      fix: ${r.fix}` : ''}\n`);
    for (const n of notChecked) process.stdout.write(`not checked: ${n}\n`);
  }
  process.exitCode = DOCTOR_EXIT[worst];
}
