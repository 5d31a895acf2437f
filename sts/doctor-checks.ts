import type { Config } from '../config/load.js';
import { graphClientFromConfig } from '../entra/from-config.js';
import type { GraphClient } from '../entra/graph-client.js';
import { desiredFederations, type DesiredFederation } from '../federation/desired.js';
import { federationCheck, graphCheck } from '../federation/federation-check.js';
import { rolloverCheck } from '../federation/rollover-check.js';
import { syntheticSignInCheck } from '../federation/synthetic-signin.js';
import { adLockoutCheck } from '../health/ad-lockout-check.js';
import { configCheck, directoryChecks, signingCertificateCheck, storeCheck, syncCheck, type DoctorCheck } from '../health/doctor.js';
import { probeCheck, publicEndpointClient, tlsCertificateCheck } from '../health/endpoint-checks.js';
import type { Logger } from '../health/log.js';
import { adfsEndpoints } from '../metadata/endpoints.js';
import { metadataCheck } from '../metadata/metadata-check.js';
import type { Store } from '../store/types.js';

export interface DoctorPlan {
  checks: DoctorCheck[];
  /** What was left out and why, one line each. */
  notChecked: string[];
  /** Ends what the checks opened (directory connections, Graph, the endpoint client); the store is the caller's. */
  close(): Promise<void>;
}

/** `make` called on first use only, its value kept (the store the checks share opens when the first one needs it). */
export const once = <T>(make: () => T): (() => T) => {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
};

/**
 * The doctor's checks in the order a sign-in walks the chain: our config and state, AD, the public
 * endpoint, Entra, then a real sign-in. `gatehouse doctor` runs them all; the admin listener's
 * /health runs them `online: false`, without the checks of our own public endpoint, which only
 * mean something from outside (a node asking itself proves little about the load balancer).
 */
export function doctorChecks(config: Config, o: { store: () => Store; log: Logger; online: boolean; offlineWhy?: string; now?: Date; clockForSkew?: () => Date }): DoctorPlan {
  const { store, online } = o;
  const now = o.now ?? new Date();
  const directory = directoryChecks(config, o.log, o.clockForSkew ?? (() => new Date()));
  const endpoint = online ? publicEndpointClient() : undefined;
  const graphConfig = config.graph;
  let graphOpened: ReturnType<typeof graphClientFromConfig> | undefined;
  const graph = graphConfig && (async (): Promise<GraphClient> => (await (graphOpened ??= graphClientFromConfig(graphConfig, config.baseDir))).client);
  const desired = once((): Promise<DesiredFederation[]> => desiredFederations(config, store()));
  const urls = adfsEndpoints(config);
  const testUser = config.doctor.testUser;

  const checks: DoctorCheck[] = [
    configCheck(config),
    storeCheck(config, store),
    ...directory.checks,
    ...(config.directory.kind === 'ldap' ? [adLockoutCheck(config.lockout, directory.open)] : []),
    signingCertificateCheck(config, store, now),
    rolloverCheck(config, store, now),
    ...(endpoint ? [tlsCertificateCheck(config), probeCheck(urls.probe, endpoint), metadataCheck(urls.federationMetadata, store, endpoint)] : []),
    // Entra's federation settings matter only while Entra is one of our relying parties.
    ...(graph ? [graphCheck(graph), ...(config.entra.enabled ? config.federation.domains.map((d) => federationCheck(d.name.toLowerCase(), desired, graph)) : []), syncCheck(config, store, now)] : []),
    ...(endpoint && testUser ? [syntheticSignInCheck(config, testUser, store, endpoint, graph)] : []),
  ];
  const notChecked = [
    ...(online ? [] : [`the public endpoint, metadata and synthetic sign-in (${o.offlineWhy ?? 'offline'})`]),
    ...(graph ? [] : ['Entra’s federation settings and sync (no graph: section)']),
    ...(testUser || !online ? [] : ['a synthetic sign-in (no doctor.testUser)']),
  ];
  return {
    checks,
    notChecked,
    async close() {
      await directory.close();
      await endpoint?.close();
      await (await graphOpened?.catch(() => undefined))?.close();
    },
  };
}
