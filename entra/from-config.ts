import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { Config } from '../config/load.js';
import { GraphClient } from './graph-client.js';
import { Http, type HttpTimer } from './http.js';
import { graphTokenProvider, type GraphCredential } from './token.js';

export type GraphConfig = NonNullable<Config['graph']>;

/** The Graph client the config describes; `close` releases its connections; `timer` is told of every call (the server's /metrics). */
export async function graphClientFromConfig(graph: GraphConfig, baseDir: string, timer?: HttpTimer): Promise<{ client: GraphClient; close: () => Promise<void> }> {
  const path = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const caPem = graph.caFile ? await readFile(path(graph.caFile), 'utf8') : undefined;
  const http = new Http({ timeoutMs: graph.timeoutMs, caPem, timer });
  let credential: GraphCredential;
  if (graph.certificate) {
    const [certificatePem, privateKeyPem] = await Promise.all([readFile(path(graph.certificate.certFile), 'utf8'), readFile(path(graph.certificate.keyFile), 'utf8')]);
    credential = { certificatePem, privateKeyPem };
  } else if (graph.clientSecret) {
    credential = { clientSecret: graph.clientSecret };
  } else {
    throw new Error('graph: give clientSecret or certificate');
  }
  const token = graphTokenProvider({ tenantId: graph.tenantId, clientId: graph.clientId, credential, authorityHost: graph.authorityHost }, http);
  const client = new GraphClient({ graphUrl: graph.graphUrl, http, token, maxConcurrentBatches: graph.maxConcurrentBatches });
  return { client, close: () => http.close() };
}
