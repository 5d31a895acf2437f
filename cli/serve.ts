import { loadConfig } from '../config/load.js';
import { createLogger } from '../health/log.js';
import { serve } from '../sts/cluster.js';

export async function serveCommand(opts: { config: string }): Promise<void> {
  const config = await loadConfig(opts.config);
  await serve(config, createLogger(config.log.level));
}
