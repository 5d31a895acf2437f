import { loadConfig } from '../config/load.js';
import { createLogger } from '../health/log.js';
import { startGatehouse } from '../sts/start.js';

export async function serveCommand(opts: { config: string }): Promise<void> {
  const config = await loadConfig(opts.config);
  const log = createLogger(config.log.level);
  const running = await startGatehouse(config, log);
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    void running.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  // logrotate's postrotate: the audit JSON-lines file (audit.file) is opened again under its name.
  process.on('SIGHUP', () => running.runtime.reopenAuditFile());
}
