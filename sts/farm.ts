import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config/load.js';
import { issuerFor } from '../config/load.js';
import { deriveKey } from '../keys/sealing.js';
import type { Store } from '../store/types.js';

/*
 * Nodes of a farm must agree on what makes one node's work valid on another: the key-encryption key
 * (sealed private keys, SSO cookies and CSRF tokens are sealed under keys derived from it) and the
 * federated domains with their issuers (a token for a domain one node does not know would be
 * refused by Entra when issued by the other). Each running node keeps a record of its settings in
 * the store — a hash, never the key — and a node whose settings differ from a live node's refuses
 * to start, naming what differs. A record no node has renewed for a while is a stopped farm: the
 * next node to start (a changed config after a full restart) replaces it.
 */

const RECORD = 'farm.config';

type FederatedDomains = Config['federation']['domains'];

interface FarmRecord {
  kek: string;
  domains: string[];
  node: string;
  seenAt: number;
}

/** Another node of the farm runs with settings this one does not share. */
export class FarmConfigError extends Error {}

function settingsOf(domains: FederatedDomains, kek: Buffer): Pick<FarmRecord, 'kek' | 'domains'> {
  return {
    kek: createHash('sha256').update(deriveKey(kek, 'farm fingerprint')).digest('hex').slice(0, 16),
    domains: domains.map((d) => `${d.name.toLowerCase()}=${issuerFor(d)}`).sort(),
  };
}

function difference(mine: Pick<FarmRecord, 'kek' | 'domains'>, theirs: FarmRecord): string | undefined {
  if (mine.kek !== theirs.kek) return `keys.keyEncryptionKey differs from the one node ${theirs.node} runs with (fingerprint ${mine.kek}, the farm's ${theirs.kek}); every node needs the same key`;
  if (mine.domains.join() !== theirs.domains.join()) return `federation.domains differ from node ${theirs.node}'s: this node has ${mine.domains.join(', ')}; the farm has ${theirs.domains.join(', ')}`;
  return undefined;
}

/**
 * Checks this node against the farm at start and keeps its record fresh every `intervalMs`; a
 * record older than three intervals belongs to no running node. Throws FarmConfigError on a
 * difference with a live node.
 */
export async function joinFarm(store: Store, domains: FederatedDomains, kek: Buffer, intervalMs: number, now: () => number = Date.now): Promise<{ stop(): Promise<void> }> {
  const mine = settingsOf(domains, kek);
  const node = `${hostname()}:${process.pid}`;
  const read = async () => {
    const text = await store.sync.getValue(RECORD);
    return text === undefined ? undefined : (JSON.parse(text) as FarmRecord);
  };
  const write = () => store.sync.setValue(RECORD, JSON.stringify({ ...mine, node, seenAt: now() } satisfies FarmRecord));
  const theirs = await read();
  const live = theirs !== undefined && now() - theirs.seenAt < 3 * intervalMs;
  const problem = live ? difference(mine, theirs) : undefined;
  if (problem) throw new FarmConfigError(`this node does not match the farm: ${problem}`);
  await write();
  const timer = setInterval(() => {
    // Renewed only while this node still matches: after the farm restarted with other settings, a
    // node left on the old ones must not write them back. A store outage waits for the next beat.
    void read()
      .then((r) => (r === undefined || !difference(mine, r) ? write() : undefined))
      .catch(() => undefined);
  }, intervalMs);
  timer.unref();
  return {
    // A node stopping cleanly leaves no record of its own, so a lone node restarted with new
    // settings starts at once; live nodes write theirs again within an interval.
    async stop() {
      clearInterval(timer);
      const r = await read().catch(() => undefined);
      if (r?.node === node) await store.sync.setValue(RECORD, null).catch(() => undefined);
    },
  };
}
