import { randomUUID } from 'node:crypto';
import type { AdSourceReader, SourceDelta } from '../directory/source-reader.js';
import type { GraphClient } from '../entra/graph-client.js';
import type { AuditStore, SyncObjectRecord, SyncRunRecord, SyncStateStore } from '../store/types.js';
import { Exporter } from './export.js';
import { applyImport } from './import.js';
import { withSyncLease, type HeldLease, type LeaseOptions } from './lease.js';
import type { AttributeFlow, TenantDomains } from './mapping.js';
import { loadEntraIndex } from './match.js';
import { describeOp, planMembers, planObjects, summarize, type Op, type PlanSummary } from './plan.js';

const COOKIE_KEY = 'dirsync.cookie';

export type SyncSource = Pick<AdSourceReader, 'watermark' | 'readAll' | 'readChanges' | 'writeBackAnchor'>;

export interface SyncSettings {
  /** 0 = no threshold. */
  deleteThreshold: number;
  staging: boolean;
  flows: AttributeFlow[];
  writeBackConsistencyGuid: boolean;
}

export interface SyncProgress {
  phase: 'import' | 'plan' | 'export' | 'done';
  done?: number;
  total?: number;
  message?: string;
}

export interface SyncReport {
  run: SyncRunRecord;
  pending: PlanSummary;
  preview: ReturnType<typeof describeOp>[];
  upnFallbacks: { dn: string; upn: string }[];
  errors: { dn: string; kind: string; op: string; message: string; attempts: number }[];
}

/**
 * One sync run, as an Entra Connect sync cycle: import from AD (full or DirSync delta), plan
 * against the last export, check the delete threshold and staging mode, export through `$batch`
 * with the journal.
 */
export class SyncEngine {
  constructor(
    private readonly deps: {
      store: SyncStateStore; source: SyncSource; graph: GraphClient; settings: SyncSettings;
      onProgress?: (p: SyncProgress) => void; lease?: LeaseOptions;
      /** Where each finished run is audited as `sync.run` (README "Audit log"). */
      audit?: AuditStore;
    },
  ) {}

  /** One run, holding the store's sync lease (SyncBusyError while another run holds it). */
  async run(options: { full?: boolean; preview?: boolean } = {}): Promise<SyncReport> {
    return withSyncLease(this.deps.store, (lease) => this.runHeld(lease, options), this.deps.lease);
  }

  /**
   * Watch mode: one DirSync poll, and a run only when AD reported a change or a
   * crashed run left intents — a quiet poll records no run and writes nothing to Graph.
   */
  async poll(): Promise<SyncReport | undefined> {
    const { store, source } = this.deps;
    return withSyncLease(store, async (lease) => {
      const cookie = await store.getValue(COOKIE_KEY);
      if (cookie === undefined) return this.runHeld(lease, {});
      const delta = await source.readChanges(Buffer.from(cookie, 'base64'));
      // DirSync reports changes anywhere in the domain; a deletion or move matters only for an object we sync.
      const synced = new Set((await store.listObjects()).filter((r) => r.desired !== null).map((r) => r.objectGuid));
      const goneOfOurs = delta.gone.some((guid) => synced.has(guid));
      if (delta.changed.length > 0 || goneOfOurs || (await store.listIntents()).length > 0) return this.runHeld(lease, {}, delta);
      await store.setValue(COOKIE_KEY, delta.cookie.toString('base64'));
      return undefined;
    }, this.deps.lease);
  }

  private async runHeld(lease: HeldLease, options: { full?: boolean; preview?: boolean }, delta?: SourceDelta): Promise<SyncReport> {
    const { store, settings } = this.deps;
    const progress = this.deps.onProgress ?? (() => undefined);
    const cookie = await store.getValue(COOKIE_KEY);
    const full = options.full === true || cookie === undefined;
    const run: SyncRunRecord = { id: randomUUID(), mode: full ? 'full' : 'delta', startedAt: new Date(), finishedAt: null, outcome: 'running', counts: {} };
    await store.saveRun(run);
    try {
      const unfinished = await this.recover();
      progress({ phase: 'import' });
      const upnFallbacks = await this.importSource(full, cookie, delta);
      const records = await store.listObjects();
      const objectOps = planObjects(records);
      const allOps = [...objectOps, ...planMembers(records, true)];
      const pending = summarize(allOps);
      const preview = allOps.map(describeOp);
      progress({ phase: 'plan', total: allOps.length, message: JSON.stringify(pending) });
      run.counts = { ...pending, upnFallbacks: upnFallbacks.length };
      if (settings.deleteThreshold > 0 && pending.deletes > settings.deleteThreshold) {
        // Entra Connect's "prevent accidental deletes": the whole export stops, nothing is written.
        return await this.finish(run, 'stopped', `${pending.deletes} deletions exceed the delete threshold of ${settings.deleteThreshold}; nothing exported`, pending, preview, upnFallbacks);
      }
      if (settings.staging || options.preview) {
        return await this.finish(run, 'staged', options.preview ? 'preview: nothing exported' : 'staging mode: nothing exported', pending, preview, upnFallbacks);
      }
      lease.assertHeld();
      const exporter = await this.export(run.id, objectOps, unfinished, (done) => progress({ phase: 'export', done, total: allOps.length }));
      run.counts = { ...run.counts, ...exporter.counts };
      return await this.finish(run, exporter.counts.errors > 0 ? 'partial' : 'success', undefined, pending, preview, upnFallbacks);
    } catch (err) {
      run.outcome = 'failed';
      run.message = (err as Error).message;
      run.finishedAt = new Date();
      await store.saveRun(run);
      await this.audited(run);
      throw err;
    }
  }

  /**
   * Intents left by a run that did not finish: their objects' Entra state is unknown, so the
   * full desired state is sent again; unfinished creates are matched before creating (no duplicates).
   */
  private async recover(): Promise<Set<string>> {
    const { store } = this.deps;
    const intents = await store.listIntents();
    if (intents.length === 0) return new Set();
    const touched: SyncObjectRecord[] = [];
    for (const anchor of new Set(intents.map((i) => i.anchor))) {
      const r = await store.getObject(anchor);
      if (r) touched.push({ ...r, exported: null });
    }
    await store.putObjects(touched);
    const creates = intents.filter((i) => i.op === 'create');
    await store.clearIntents(intents.filter((i) => i.op !== 'create').map((i) => i.id));
    return new Set(creates.map((i) => i.anchor));
  }

  /** `delta`: changes a watch poll already read from `cookie`. */
  private async importSource(full: boolean, cookie: string | undefined, delta: SourceDelta | undefined): Promise<{ dn: string; upn: string }[]> {
    const { store, source, graph, settings } = this.deps;
    const domains = await tenantDomains(graph);
    let seen;
    let gone: string[] = [];
    let next: Buffer;
    if (full) {
      // The watermark first: whatever changes while the paged search runs is read again next delta.
      next = await source.watermark();
      seen = await source.readAll();
    } else {
      const changes = delta ?? (await source.readChanges(Buffer.from(cookie ?? '', 'base64')));
      seen = changes.changed;
      gone = changes.gone;
      next = changes.cookie;
    }
    const result = applyImport(await store.listObjects(), seen, gone, full, domains, settings.flows);
    await store.putObjects(result.records);
    await store.deleteObjects(result.forget);
    // The cookie only after the records: a crash in between reads the same changes again.
    await store.setValue(COOKIE_KEY, next.toString('base64'));
    if (settings.writeBackConsistencyGuid) {
      for (const obj of seen) if (obj.kind === 'user' && !obj.hasConsistencyGuid) await source.writeBackAnchor(obj);
    }
    return result.upnFallbacks;
  }

  private async export(runId: string, objectOps: Op[], unfinished: Set<string>, progress: (done: number) => void): Promise<Exporter> {
    const { store, graph } = this.deps;
    let done = 0;
    const exporter = new Exporter(graph, store, runId, (n) => {
      done += n;
      progress(done);
    });
    const creates = objectOps.filter((o) => o.kind === 'create');
    const claimed = new Set((await store.listObjects()).flatMap((r) => (r.entraId ? [r.entraId] : [])));
    const wantGroups = creates.some((o) => o.record.kind === 'group' && unfinished.has(o.record.anchor));
    const index = creates.length > 0 ? await loadEntraIndex(graph, creates.some((o) => o.record.kind === 'user'), wantGroups, unfinished) : undefined;
    const ops = index ? await exporter.adopt(objectOps, index, claimed) : objectOps;
    // Phases: restores before the updates that follow them, objects before memberships, deletes last.
    await exporter.run(ops.filter((o) => o.kind === 'restore'));
    const afterRestore = planObjects(await store.listObjects()).filter((o) => o.kind !== 'delete' && o.kind !== 'restore');
    await exporter.run(afterRestore);
    await store.clearIntents((await store.listIntents()).filter((i) => i.runId !== runId && i.op === 'create').map((i) => i.id));
    const now = await store.listObjects();
    exporter.setMemberIds(now);
    await exporter.run(planMembers(now));
    await exporter.run(planObjects(await store.listObjects()).filter((o) => o.kind === 'delete'));
    return exporter;
  }

  /** A run that ended: failed and stopped (delete threshold) runs are failures, the rest successes. */
  private async audited(run: SyncRunRecord): Promise<void> {
    const failed = run.outcome === 'failed' || run.outcome === 'stopped';
    await this.deps.audit?.append({ at: run.finishedAt ?? new Date(), type: 'sync.run', outcome: failed ? 'failure' : 'success', reason: failed ? run.message?.slice(0, 256) : undefined, details: { runId: run.id, mode: run.mode, outcome: run.outcome, ...run.counts } });
  }

  private async finish(run: SyncRunRecord, outcome: SyncRunRecord['outcome'], message: string | undefined, pending: PlanSummary, preview: SyncReport['preview'], upnFallbacks: SyncReport['upnFallbacks']): Promise<SyncReport> {
    const { store } = this.deps;
    run.outcome = outcome;
    run.message = message;
    run.finishedAt = new Date();
    await store.saveRun(run);
    await this.audited(run);
    this.deps.onProgress?.({ phase: 'done', message: outcome });
    return { run, pending, preview, upnFallbacks, errors: await objectErrors(store) };
  }
}

export async function objectErrors(store: SyncStateStore): Promise<SyncReport['errors']> {
  return (await store.listObjects()).flatMap((r) => (r.error ? [{ dn: r.dn, kind: r.kind, op: r.error.op, message: r.error.message, attempts: r.error.attempts }] : []));
}

/** Verified domains and the initial onmicrosoft.com one, for the UPN fallback in mapping.ts. */
async function tenantDomains(graph: GraphClient): Promise<TenantDomains> {
  const domains = await graph.domains.list();
  const initial = domains.find((d) => d.isInitial)?.id;
  if (!initial) throw new Error('Graph listed no initial (onmicrosoft.com) domain');
  return { verified: new Set(domains.filter((d) => d.isVerified).map((d) => d.id.toLowerCase())), initial };
}
