import type { Server } from 'node:https';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { createApp, type Readiness } from './http/app.js';
import { listenHttps } from './http/server.js';
import { startOperations, type Operations } from './ops.js';
import { createRuntime, type Runtime, type RuntimeOptions } from './runtime.js';
import { buildServices } from './services.js';

export interface RunningGatehouse {
  port: number;
  server: Server;
  runtime: Runtime;
  /** Metrics history, alerts and the admin listener (sts/ops.ts). */
  ops: Operations;
  stop(): Promise<void>;
}

export interface StartOptions extends RuntimeOptions {
  /** A cluster worker's siblings are all ready too (sts/cluster.ts): the probe needs both. */
  peersReady?: () => boolean;
}

/** Builds the runtime, mounts the endpoints and listens; ready (probe 200) only once all of it is up. */
export async function startGatehouse(config: Config, log: Logger, opts: StartOptions = {}): Promise<RunningGatehouse> {
  let up = false;
  const readiness: Readiness = {
    get ready() {
      return up && (opts.peersReady?.() ?? true);
    },
    set ready(value: boolean) {
      up = value;
    },
  };
  const runtime = await createRuntime(config, log, opts);
  let server: Awaited<ReturnType<typeof listenHttps>>;
  let ops: Operations;
  try {
    ops = await startOperations(runtime);
    const app = createApp({ log, readiness, trustedProxies: config.server.trustedProxies, routers: buildServices(runtime).routers });
    server = await listenHttps(app, {
      host: config.server.listen.host,
      port: config.server.listen.port,
      certFile: config.server.tls.certFile,
      keyFile: config.server.tls.keyFile,
      graceMs: config.server.shutdownGraceMs,
      readiness,
      log,
    }).catch(async (err: unknown) => {
      await ops.stop();
      throw err;
    });
  } catch (err) {
    await runtime.close();
    throw err;
  }
  readiness.ready = true;
  return {
    port: server.port,
    server: server.server,
    runtime,
    ops,
    async stop() {
      await server.stop();
      await ops.stop();
      await runtime.close();
    },
  };
}
