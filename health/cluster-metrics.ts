import { AggregatorRegistry, type Registry } from 'prom-client';

/*
 * Metrics of a node:cluster server as one (sts/cluster.ts): each worker counts its own sign-ins in
 * its own registry (health/metrics.ts), so a scrape answered by one worker alone would show a
 * share of the traffic that changes with whichever worker the primary handed the connection to.
 * prom-client's AggregatorRegistry asks every worker over the cluster channel and merges their
 * metrics by each metric's `aggregator` (counters and histograms add up, store readings taken once).
 */

/**
 * In a worker: answer the primary's requests for metrics at once, with none until `share` names
 * this runtime's registry (not prom-client's global one), so a scrape while a worker starts gets
 * the others' metrics instead of waiting for it.
 */
export function answerPrimaryForMetrics(): { share(registry: Registry): void } {
  AggregatorRegistry.setRegistries([]);
  // Constructing one is what makes prom-client listen for the primary's requests in this process.
  new AggregatorRegistry();
  return { share: (registry) => AggregatorRegistry.setRegistries([registry]) };
}

/** In the primary: the Prometheus text of every worker's metrics merged. */
export function clusterMetrics(): () => Promise<{ contentType: string; body: string }> {
  const aggregator = new AggregatorRegistry();
  return async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() });
}
