import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { freePort, startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { LAYERS } from '../layering/layers.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Dockerfile instructions, continuation lines joined and comments dropped, with the stage each belongs to. */
async function dockerfile(): Promise<{ op: string; args: string; stage: number }[]> {
  const text = (await readFile(join(root, 'Dockerfile'), 'utf8')).replace(/\\\n/g, ' ');
  let stage = -1;
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => {
    const [op, ...rest] = l.split(/\s+/);
    if (op!.toUpperCase() === 'FROM') stage += 1;
    return { op: op!.toUpperCase(), args: rest.join(' '), stage };
  });
}

describe('packaging: Dockerfile (parsed: no container runtime here) and systemd unit', () => {
  let gh: RunningTestGatehouse;
  before(async () => {
    gh = await startTestGatehouse({ directory: { users: [] } });
  });
  after(async () => gh?.stop());

  it('builds in a stage of its own (npm ci, build, prune) and runs from a second stage that copies only the result', async () => {
    const ins = await dockerfile();
    const froms = ins.filter((i) => i.op === 'FROM');
    assert.equal(froms.length, 2);
    assert.match(froms[0]!.args, /^node:20-\S+ AS build$/);
    assert.match(froms[1]!.args, /^node:20-/);
    const buildRuns = ins.filter((i) => i.stage === 0 && i.op === 'RUN').map((i) => i.args).join('\n');
    for (const step of ['npm ci', 'npm run build', 'npm prune --omit=dev']) assert.ok(buildRuns.includes(step), `the build stage runs ${step}`);
    const copies = ins.filter((i) => i.stage === 1 && i.op === 'COPY').map((i) => i.args);
    assert.ok(copies.length > 0 && copies.every((c) => c.startsWith('--from=build ')), 'the runtime stage copies only from the build stage');
    assert.ok(copies.some((c) => c.includes('/src/dist')) && copies.some((c) => c.includes('/src/node_modules')));
    // Every production folder is in the image (a new one forgotten here would fail at start).
    const folders = [...new Set(LAYERS.flat().map((u) => u.split('/')[0]!))];
    const copied = ins.filter((i) => i.stage === 0 && i.op === 'COPY').map((i) => i.args.split(' ')[0]);
    const imported = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory() && folders.includes(e.name)).map((e) => e.name);
    for (const f of imported) assert.ok(copied.includes(f), `the build stage copies ${f}/`);
    assert.ok(copied.includes('tsconfig.json') && copied.includes('package.json'));
  });

  it('runs as a non-root user, with config and data as volumes, serve as the command, and a HEALTHCHECK on /adfs/probe', async () => {
    const ins = (await dockerfile()).filter((i) => i.stage === 1);
    const user = ins.filter((i) => i.op === 'USER').at(-1)?.args;
    assert.ok(user && !['root', '0', '0:0'].includes(user), `USER ${user}`);
    const volumes = JSON.parse(ins.find((i) => i.op === 'VOLUME')!.args) as string[];
    assert.deepEqual(volumes, ['/etc/gatehouse', '/var/lib/gatehouse']);
    assert.deepEqual([JSON.parse(ins.find((i) => i.op === 'ENTRYPOINT')!.args), JSON.parse(ins.find((i) => i.op === 'CMD')!.args)], [['node', '/opt/gatehouse/dist/cli/main.js'], ['serve', '-c', '/etc/gatehouse/gatehouse.yaml']]);
    const health = ins.find((i) => i.op === 'HEALTHCHECK')!.args;
    assert.match(health, /--interval=\d+s .*CMD \[/);
    assert.match(health, /\/adfs\/probe/);
    const ignore = await readFile(join(root, '.dockerignore'), 'utf8');
    for (const p of ['node_modules', 'dist', 'test', '.git']) assert.match(ignore, new RegExp(`^${p.replace('.', '\\.')}$`, 'm'));
  });

  it('its HEALTHCHECK command passes against a serving Gatehouse and fails where none answers', async () => {
    const health = (await dockerfile()).find((i) => i.op === 'HEALTHCHECK')!.args;
    const cmd = JSON.parse(health.slice(health.indexOf('CMD ') + 4)) as string[];
    assert.deepEqual(cmd.slice(0, 2), ['node', '-e']);
    const probe = (port: number) => run(process.execPath, ['-e', cmd[2]!], { env: { ...process.env, GATEHOUSE_PORT: String(port) }, timeout: 10_000 }).then(() => 0, (err: { code?: number }) => err.code ?? 1);
    assert.equal(await probe(Number(new URL(gh.url).port)), 0);
    assert.equal(await probe(await freePort()), 1);
  });

  it('has a systemd unit with the hardening options, accepted by systemd-analyze verify', async () => {
    const unit = await readFile(join(root, 'packaging', 'gatehouse.service'), 'utf8');
    const keys = new Map(unit.split('\n').filter((l) => /^[A-Za-z]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    for (const [k, v] of Object.entries({ NoNewPrivileges: 'yes', ProtectSystem: 'strict', ProtectHome: 'yes', PrivateTmp: 'yes', PrivateDevices: 'yes', RestrictSUIDSGID: 'yes', CapabilityBoundingSet: '', User: 'gatehouse', StateDirectory: 'gatehouse' })) {
      assert.equal(keys.get(k), v, `${k}=${v}`);
    }
    assert.match(keys.get('ExecStart') ?? '', /dist\/cli\/main\.js serve -c \/etc\/gatehouse\/gatehouse\.yaml$/);
    assert.equal(keys.get('MemoryDenyWriteExecute'), undefined, 'V8 needs writable executable memory');
    assert.ok(existsSync('/usr/bin/systemd-analyze'), 'systemd-analyze (Debian systemd, test/setup/debian-packages.sh)');
    const verify = await run('/usr/bin/systemd-analyze', ['verify', join(root, 'packaging', 'gatehouse.service')]).then((r) => ({ code: 0, out: r.stdout + r.stderr }), (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, out: err.stdout + err.stderr }));
    assert.deepEqual(verify, { code: 0, out: '' });
  });
});
