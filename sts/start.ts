import type { Server } from 'node:https';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { warnIfEslCanLockAd } from '../health/ad-lockout-check.js';
import { createApp, type Readiness } from './http/app.js';
import { listenHttps } from './http/server.js';
import { startOperations, type ClusterOperations, type Operations } from './ops.js';
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
  /** A cluster worker: the admin listener answers for the whole server (sts/cluster.ts). */
  cluster?: ClusterOperations;
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
  let certificateServer: Awaited<ReturnType<typeof listenHttps>> | undefined;
  let ops: Operations;
  try {
    ops = await startOperations(runtime, opts.cluster);
    const services = buildServices(runtime);
    const app = createApp({ log, readiness, trustedProxies: config.server.trustedProxies, routers: services.routers });
    const listening = {
      certFile: config.server.tls.certFile,
      keyFile: config.server.tls.keyFile,
      graceMs: config.server.shutdownGraceMs,
      readiness,
      audit: runtime.audit,
    };
    const stopOps = async (err: unknown) => {
      await ops.stop();
      throw err;
    };
    server = await listenHttps(app, { ...listening, host: config.server.listen.host, port: config.server.listen.port, log }).catch(stopOps);
    // The certificate listener (AD FS certauth, port 49443): same certificate and host name, its own app.
    if (services.certificateRouters) {
      const certificateApp = createApp({ log, readiness, trustedProxies: config.server.trustedProxies, routers: services.certificateRouters });
      const c = config.certificateAuth;
      certificateServer = await listenHttps(certificateApp, { ...listening, host: c.host ?? config.server.listen.host, port: c.port, clientCaFiles: c.caFiles, log: log.child({ listener: 'certificate' }) }).catch(async (err: unknown) => {
        await server.stop();
        return stopOps(err);
      });
    }
  } catch (err) {
    await runtime.close();
    throw err;
  }
  readiness.ready = true;
  void warnIfEslCanLockAd(config.lockout, runtime.directory, log);
  return {
    port: server.port,
    server: server.server,
    runtime,
    ops,
    async stop() {
      await Promise.all([server.stop(), certificateServer?.stop()]);
      await ops.stop();
      await runtime.close();
    },
  };
}
