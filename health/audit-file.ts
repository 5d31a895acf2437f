import { pino } from 'pino';
import type { AuditEvent, AuditStore } from '../store/types.js';
import { eventIdOf, kindOf } from './audit-events.js';

/** An event as one JSON line: its documented id and kind first, then the event as stored. */
export function auditLine(event: AuditEvent): Record<string, unknown> {
  const { type, kind } = kindOf(event);
  return { eventId: eventIdOf(event), event: type, adfsEventId: event.outcome === 'failure' ? kind?.adfs?.failure : kind?.adfs?.success, ...event, at: event.at.toISOString() };
}

/**
 * `audit.file`: the process's audit store with every appended event also written to `path` as a
 * JSON line, whoever appends it (the sign-in path through health/audit.ts, the rollover, trust
 * refreshes, sync). The line is written before the store is asked, so an event survives a store
 * outage in the file. pino's SonicBoom writes asynchronously and in order; `reopen` follows log
 * rotation, `close` flushes.
 */
export function auditFileTee(store: AuditStore, path: string): { store: AuditStore; reopen(): void; close(): Promise<void> } {
  const file = pino.destination({ dest: path, sync: false, mkdir: true, append: true });
  // health/audit.ts writes batches with appendAll and, when a batch fails, each event with append:
  // an event already in the file is not written to it twice.
  const written = new WeakSet<AuditEvent>();
  const line = (event: AuditEvent) => {
    if (written.has(event)) return;
    written.add(event);
    file.write(`${JSON.stringify(auditLine(event))}\n`);
  };
  const appendAll = store.appendAll?.bind(store);
  return {
    store: {
      ...store,
      append(event) {
        line(event);
        return store.append(event);
      },
      ...(appendAll
        ? {
            appendAll(events: AuditEvent[]) {
              events.forEach(line);
              return appendAll(events);
            },
          }
        : {}),
    },
    reopen: () => file.reopen(),
    close: () =>
      new Promise<void>((resolve) => {
        file.once('close', () => resolve());
        file.end();
      }),
  };
}
