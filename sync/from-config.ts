import type { Config } from '../config/load.js';
import { dcPoolFromConfig } from '../directory/from-config.js';
import { AdSourceReader } from '../directory/source-reader.js';
import { graphClientFromConfig } from '../entra/from-config.js';
import type { AuditStore, SyncStateStore } from '../store/types.js';
import { SyncEngine, type SyncProgress } from './engine.js';

/** The engine the config describes; `close` ends its LDAP and HTTPS connections. */
export async function syncEngineFromConfig(config: Config, store: SyncStateStore, onProgress?: (p: SyncProgress) => void, audit?: AuditStore): Promise<{ engine: SyncEngine; close: () => Promise<void> }> {
  if (!config.graph) throw new Error('sync needs a `graph` section (tenant, app registration)');
  if (config.directory.kind !== 'ldap') throw new Error('sync reads Active Directory: `directory.kind` must be ldap');
  const { sync } = config;
  const dir = config.directory;
  const pool = await dcPoolFromConfig(dir, sync.account ?? dir.serviceAccount);
  const source = new AdSourceReader({ pool, baseDn: dir.baseDn, ous: sync.ous, extraAttributes: sync.attributeFlows.map((f) => f.source) });
  const graph = await graphClientFromConfig(config.graph, config.baseDir);
  const engine = new SyncEngine({
    store, source, graph: graph.client,
    settings: { deleteThreshold: sync.deleteThreshold, staging: sync.staging, flows: sync.attributeFlows, writeBackConsistencyGuid: sync.writeBackConsistencyGuid },
    ...(onProgress ? { onProgress } : {}),
    ...(audit ? { audit } : {}),
  });
  return { engine, close: async () => { await pool.close(); await graph.close(); } };
}
