import { createServer, connect, type Server, type Socket } from 'node:net';
import type { ConfigInput } from '../../config/schema.js';
import type { TestBed } from '../ad/testbed.js';
import { testBedDirectory } from './gatehouse.js';

/** A TCP relay in front of the DC's LDAPS port that the test can cut and restore: the DC "down", then back. */
export class Relay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly host: string, private readonly target: number) {}

  async open(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target, this.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, this.host, resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

/** The test bed's DC behind an opened relay, and the directory config that reaches it only through it (short timeouts, so an outage shows at once). */
export async function relayedDirectory(bed: TestBed): Promise<{ relay: Relay; directory: ConfigInput['directory'] }> {
  const relay = new Relay(bed.host, 636);
  await relay.open();
  return { relay, directory: { ...(testBedDirectory(bed, bed.caCertPath) as Extract<ConfigInput['directory'], { kind: 'ldap' }>), dcs: [`ldaps://${bed.host}:${relay.port}`], connectTimeoutMs: 300, operationTimeoutMs: 1000, retryDownAfterMs: 200 } };
}
