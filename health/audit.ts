import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { deriveKey } from '../keys/sealing.js';
import type { AuditEvent, AuditStore } from '../store/types.js';

export type AuditInput = Omit<AuditEvent, 'at' | 'id'> & { at?: Date };

// Client-supplied strings end up in log lines and the audit table: bounded, and with no control
// characters (a newline or ANSI escape in a user name must not forge or hide a log line).
const MAX_FIELD = 256;
const MAX_DETAIL = 512;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** A client-supplied string as it may be recorded: control characters replaced, length bounded. */
export function boundedText(value: string, max = MAX_FIELD): string {
  const clean = value.replace(CONTROL, '\uFFFD');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

// user@dns.domain with nothing a password is likely to hold (spaces, quotes, several @).
const UPN_SHAPE = /^[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

/**
 * Records an audit event in the store and mirrors it to the log. A store failure is logged, not
 * thrown: an audit outage must not turn a sign-in answer into a crash (the log still has it).
 * Store writes are off the answer's path: `record` queues the event and the queue is written in
 * one go on the next turn of the event loop, so a burst of sign-ins costs the store one batch
 * instead of a write each while their answers wait. `flush` writes what is queued now; the
 * runtime's close flushes before the store closes, so a clean shutdown loses no event.
 */
export class Audit {
  private readonly observers: ((event: AuditEvent) => void)[] = [];
  private queue: AuditEvent[] = [];
  private writing: Promise<void> | undefined;

  constructor(
    private readonly store: AuditStore,
    private readonly log: Logger,
    /** Keys the pseudonyms of unrecorded names, so a log reader cannot test guesses against them. */
    private readonly pseudonymKey: Buffer,
    /** UPN suffixes of our users (the federated domains): a typed name is kept in clear only under one of them. */
    private readonly upnSuffixes: readonly string[],
  ) {}

  /**
   * What to record for a typed user name that named no account. People paste passwords into the
   * user-name field, and passwords can look like `Summer@2024.x`: a name is kept only when it is a
   * UPN under one of our own suffixes (a mistyped or departed user's name); any other text becomes
   * a keyed pseudonym, so attempts with the same text still correlate.
   */
  typedName(typed: unknown): string {
    if (typeof typed !== 'string') return 'unresolved:none';
    const name = typed.trim();
    const suffix = name.slice(name.lastIndexOf('@') + 1).toLowerCase();
    const ours = this.upnSuffixes.some((d) => suffix === d || suffix.endsWith(`.${d}`));
    if (name.length <= MAX_FIELD && UPN_SHAPE.test(name) && ours) return name;
    return `unresolved:${createHmac('sha256', this.pseudonymKey).update(name).digest('hex').slice(0, 12)}`;
  }

  /** Tells `listener` of every event as it is recorded (the counters of /metrics): it must neither throw nor wait. */
  observe(listener: (event: AuditEvent) => void): void {
    this.observers.push(listener);
  }

  async record(input: AuditInput): Promise<void> {
    const event: AuditEvent = bounded({ ...input, at: input.at ?? new Date() });
    for (const observer of this.observers) {
      try {
        observer(event);
      } catch (err) {
        this.log.error({ err, type: event.type }, 'audit observer failed');
      }
    }
    this.log.info({ audit: { ...event, at: event.at.toISOString() } }, `audit ${event.type} ${event.outcome}`);
    this.queue.push(event);
    this.writing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.write());
  }

  /** Resolves once every event recorded before the call is in the store (or logged as not storable). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async write(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    // One write for the batch where the store can; if that fails, each event on its own, so one bad event loses no other.
    const whole = this.store.appendAll ? await this.store.appendAll(batch).then(() => true, () => false) : false;
    if (!whole) {
      for (const event of batch) {
        try {
          await this.store.append(event);
        } catch (err) {
          this.log.error({ err, type: event.type }, 'audit event could not be stored');
        }
      }
    }
    this.writing = this.queue.length > 0 ? new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.write()) : undefined;
  }
}

/** The audit trail of the config's federated domains, keyed from the key-encryption key: the server and the CLI record alike. */
export function auditFromConfig(config: Pick<Config, 'federation'>, store: AuditStore, log: Logger, kek: Buffer): Audit {
  return new Audit(store, log, deriveKey(kek, 'audit pseudonyms'), config.federation.domains.map((d) => d.name.toLowerCase()));
}

function bounded(event: AuditEvent): AuditEvent {
  const out: AuditEvent = { ...event };
  for (const key of ['user', 'relyingParty', 'clientIp', 'reason'] as const) {
    const value = out[key];
    if (typeof value === 'string') out[key] = boundedText(value);
  }
  if (out.details) {
    out.details = Object.fromEntries(Object.entries(out.details).map(([k, v]) => [boundedText(k, 64), typeof v === 'string' ? boundedText(v, MAX_DETAIL) : v]));
  }
  return out;
}
