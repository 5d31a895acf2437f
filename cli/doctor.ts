import { loadConfig } from '../config/load.js';
import { graphClientFromConfig } from '../entra/from-config.js';
import type { GraphClient } from '../entra/graph-client.js';
import { desiredFederations, type DesiredFederation } from '../federation/desired.js';
import { federationCheck, graphCheck } from '../federation/federation-check.js';
import { rolloverCheck } from '../federation/rollover-check.js';
import { syntheticSignInCheck } from '../federation/synthetic-signin.js';
import { configCheck, directoryChecks, DOCTOR_EXIT, runChecks, signingCertificateCheck, storeCheck, worstOf, type DoctorCheck } from '../health/doctor.js';
import { probeCheck, publicEndpointClient, tlsCertificateCheck } from '../health/endpoint-checks.js';
import { createLogger } from '../health/log.js';
import { adfsEndpoints } from '../metadata/endpoints.js';
import { metadataCheck } from '../metadata/metadata-check.js';
import { openStore, type Store } from '../store/index.js';

const once = <T>(make: () => T): (() => T) => {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
};

/**
 * Test hook, read here and handed to the clock check only: shifts the local clock that check
 * compares with the DCs' by this many milliseconds, so a test can show a skew without changing
 * the machine's time.
 */
function clockForSkewCheck(): () => Date {
  const offset = Number(process.env.GATEHOUSE_DOCTOR_CLOCK_OFFSET_MS ?? 0) || 0;
  return () => new Date(Date.now() + offset);
}

/** The whole chain, in the order a sign-in walks it: our config and state, AD, the public endpoint, Entra, then a real sign-in. */
export async function doctorCommand(o: { config: string; json?: boolean; offline?: boolean }): Promise<void> {
  const config = await loadConfig(o.config);
  const store = once((): Store => openStore(config));
  const directory = directoryChecks(config, createLogger('silent' as 'info'), clockForSkewCheck());
  const endpoint = publicEndpointClient();
  const graphConfig = config.graph;
  let graphOpened: ReturnType<typeof graphClientFromConfig> | undefined;
  const graph = graphConfig && (async (): Promise<GraphClient> => (await (graphOpened ??= graphClientFromConfig(graphConfig, config.baseDir))).client);
  const desired = once((): Promise<DesiredFederation[]> => desiredFederations(config, store()));
  const urls = adfsEndpoints(config);
  const online = o.offline !== true;
  const testUser = config.doctor.testUser;

  const checks: DoctorCheck[] = [
    configCheck(config),
    storeCheck(config, store),
    ...directory.checks,
    signingCertificateCheck(config, store),
    rolloverCheck(config, store),
    ...(online ? [tlsCertificateCheck(config), probeCheck(urls.probe, endpoint), metadataCheck(urls.federationMetadata, store, endpoint)] : []),
    // Entra's federation settings matter only while Entra is one of our relying parties.
    ...(graph ? [graphCheck(graph), ...(config.entra.enabled ? config.federation.domains.map((d) => federationCheck(d.name.toLowerCase(), desired, graph)) : [])] : []),
    ...(online && testUser ? [syntheticSignInCheck(config, testUser, store, endpoint, graph)] : []),
  ];
  const notChecked = [
    ...(o.offline ? ['the public endpoint, metadata and synthetic sign-in (--offline)'] : []),
    ...(graph ? [] : ['Entra’s federation settings (no graph: section)']),
    ...(testUser || o.offline ? [] : ['a synthetic sign-in (no doctor.testUser)']),
  ];
  let reports;
  try {
    reports = await runChecks(checks);
  } finally {
    await directory.close();
    await endpoint.close();
    await (await graphOpened?.catch(() => undefined))?.close();
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
