import { execFile, execFileSync } from 'node:child_process';
import { chownSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './gatehouse.js';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';

/**
 * A real PostgreSQL 15 server (Debian's `postgresql`) of the test's own: data directory in a temp
 * dir, loopback on a free port, trust authentication, fsync off (nothing here must survive a power
 * cut). PostgreSQL refuses to run as root, so as root it runs as the `postgres` user.
 */
export interface TestPostgres {
  url: string;
  port: number;
  /** Stops the server, keeping its data (a restart under load). */
  halt(): Promise<void>;
  /** Starts it again on the same port and data. */
  resume(): Promise<void>;
  /** Stops it and removes its data. */
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<TestPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-pg-'));
  const asRoot = userInfo().uid === 0;
  if (asRoot) chownSync(dir, (await idOf('-u')), (await idOf('-g')));
  const as = (cmd: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : run(cmd, args));
  const data = join(dir, 'data');
  await as(`${BIN}/initdb`, ['-D', data, '-U', 'gatehouse', '--auth=trust', '-N', '-E', 'UTF8', '--locale=C']).catch((err: Error & { stderr?: string }) => {
    throw new Error(`initdb failed (is Debian's postgresql installed? test/setup/debian-packages.sh installs it): ${err.stderr ?? err.message}`);
  });
  const port = await freePort();
  const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100`;
  const start = () => as(`${BIN}/pg_ctl`, ['-D', data, '-l', join(dir, 'log'), '-o', options, '-w', '-t', '30', 'start']).then(() => undefined);
  const halt = () => as(`${BIN}/pg_ctl`, ['-D', data, '-m', 'fast', '-w', 'stop']).then(() => undefined);
  await start();
  await as(`${BIN}/createdb`, ['-h', '127.0.0.1', '-p', String(port), '-U', 'gatehouse', 'gatehouse']);
  let stopped = false;
  // A test process that dies must not leave a server behind: pg_ctl runs it detached from us. An
  // 'exit' listener may only do synchronous work, hence execFileSync.
  const orphaned = () => {
    const stop = [`${BIN}/pg_ctl`, '-D', data, '-m', 'immediate', 'stop'];
    if (stopped) return;
    execFileSync(asRoot ? 'runuser' : stop[0]!, asRoot ? ['-u', 'postgres', '--', ...stop] : stop.slice(1), { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', orphaned);
  return {
    url: `postgres://gatehouse@127.0.0.1:${port}/gatehouse`,
    port,
    halt,
    resume: start,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off('exit', orphaned);
      await halt().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function idOf(flag: '-u' | '-g'): Promise<number> {
  return Number((await run('id', [flag, 'postgres'])).stdout.trim());
}
