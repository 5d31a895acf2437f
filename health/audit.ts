import type { Logger } from 'pino';
import type { AuditEvent, AuditStore } from '../store/types.js';

export type AuditInput = Omit<AuditEvent, 'at' | 'id'> & { at?: Date };

/**
 * Records an audit event in the store and mirrors it to the log. A store failure is logged, not
 * thrown: an audit outage must not turn a sign-in answer into a crash (the log still has it).
 */
export class Audit {
  constructor(
    private readonly store: AuditStore,
    private readonly log: Logger,
  ) {}

  async record(input: AuditInput): Promise<void> {
    const event: AuditEvent = { ...input, at: input.at ?? new Date() };
    this.log.info({ audit: { ...event, at: event.at.toISOString() } }, `audit ${event.type} ${event.outcome}`);
    try {
      await this.store.append(event);
    } catch (err) {
      this.log.error({ err, type: event.type }, 'audit event could not be stored');
    }
  }
}
