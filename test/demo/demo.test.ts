import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Agent, fetch } from 'undici';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run demo', () => {
  it('serves /adfs/probe = 200 at https://localhost:8443 with alice’s credentials printed, and stops its DC on SIGTERM', async () => {
    const demo = spawn('npm', ['run', '--silent', 'demo'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    demo.stdout.on('data', (d: Buffer) => (output += d.toString()));
    demo.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => demo.once('exit', resolve));
    try {
      for (let i = 0; i < 600 && !output.includes('demo is ready'); i++) await new Promise((r) => setTimeout(r, 200));
      assert.match(output, /demo is ready/, output);
      assert.match(output, /alice@corp\.example\.com\s+password Passw0rd!/);
      const res = await fetch('https://localhost:8443/adfs/probe', { dispatcher: new Agent({ connect: { rejectUnauthorized: false } }) });
      assert.equal(res.status, 200);
      const login = await fetch('https://localhost:8443/adfs/ls/?wa=wsignin1.0&wtrealm=urn:federation:MicrosoftOnline', { dispatcher: new Agent({ connect: { rejectUnauthorized: false } }) });
      assert.match(await login.text(), /name="UserName"/);
      // The printed CLI lines work beside the running demo, as a newcomer would paste them.
      const printed = /^\s+(node dist\/cli\/main\.js keys list -c \S+)$/m.exec(output)?.[1];
      assert.ok(printed, output);
      const keys = await run('sh', ['-c', printed], { cwd: root });
      assert.match(keys.stdout, /active/);
      const viaEnv = await run(process.execPath, [join(root, 'dist/cli/main.js'), 'keys', 'list', '--json'], { cwd: tmpdir(), env: { ...process.env, GATEHOUSE_CONFIG: /GATEHOUSE_CONFIG=(\S+)/.exec(output)?.[1] ?? '' } });
      assert.ok(Array.isArray(JSON.parse(viaEnv.stdout)));
    } finally {
      if (demo.exitCode === null) process.kill(-demo.pid!, 'SIGTERM');
      await exited;
    }
    // npm exits at once; the demo's own SIGTERM handler then stops the DC.
    for (let i = 0; i < 100 && existsSync(`${root}/var/demo/ad/testbed.json`); i++) await new Promise((r) => setTimeout(r, 200));
    assert.equal(existsSync(`${root}/var/demo/ad/testbed.json`), false, 'the demo DC was stopped and removed');
  });
});
