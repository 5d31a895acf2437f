import { loadConfig } from '../config/load.js';
import { runDoctor } from '../health/doctor.js';
import { createLogger } from '../health/log.js';

export async function doctorCommand(o: { config: string; json?: boolean }): Promise<void> {
  const config = await loadConfig(o.config);
  const checks = await runDoctor(config, createLogger('silent' as 'info'));
  const ok = checks.every((c) => c.ok);
  if (o.json) process.stdout.write(`${JSON.stringify({ ok, checks }, null, 2)}\n`);
  else for (const c of checks) process.stdout.write(`${c.ok ? (c.warning ? 'WARN' : 'ok  ') : 'FAIL'}  ${c.part}: ${c.detail}\n`);
  process.exitCode = ok ? 0 : 1;
}
