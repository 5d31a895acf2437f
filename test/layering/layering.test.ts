import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { checkLayers, readSources, unitOf } from './layers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

describe('layers: dependencies point down, no cycles (ARCHITECTURE.md)', () => {
  it('holds for every TypeScript file of the tree', async () => {
    const { stdout } = await run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], { cwd: root });
    const files = await readSources(root, stdout.split('\n').filter(Boolean));
    assert.ok(files.length > 100);
    const violations = checkLayers(files);
    assert.deepEqual(violations.map((v) => `${v.why}: ${v.file} → ${v.imports}`), []);
  });

  it('fails on an import that points up, naming the file', () => {
    const violations = checkLayers([
      { path: 'store/cache.ts', source: "import { createApp } from '../sts/http/app.js';" },
      { path: 'sts/http/app.ts', source: "import type { Store } from '../../store/types.js';" },
    ]);
    assert.deepEqual(violations, [{ file: 'store/cache.ts', imports: 'sts/http/app.ts', why: 'store imports sts/http, which is above it' }]);
  });

  it('fails on a cycle between two units of one layer', () => {
    const violations = checkLayers([
      { path: 'sts/signin/forms.ts', source: "import { loginPage } from '../ui/login-page.js';" },
      { path: 'sts/ui/texts.ts', source: "export type { SignInFailure } from '../signin/pipeline.js';" },
    ]);
    assert.equal(violations.length, 1);
    assert.match(violations[0]!.why, /^cycle sts\/signin → sts\/ui → sts\/signin$/);
  });

  it('fails on production code importing tests, and sees dynamic imports and re-exports', () => {
    const violations = checkLayers([
      { path: 'keys/x.ts', source: "const m = await import('../test/support/pki.js');" },
      { path: 'xml/y.ts', source: "export * from '../cli/main.js';" },
    ]);
    assert.deepEqual(violations.map((v) => v.imports), ['test/support/pki.ts', 'cli/main.ts']);
  });

  it('places sts/ subfolders as their own units and leaves tests and benchmarks out', () => {
    assert.equal(unitOf('sts/signin/pipeline.ts'), 'sts/signin');
    assert.equal(unitOf('sts/services.ts'), 'sts');
    assert.equal(unitOf('test/support/pki.ts'), undefined);
    assert.equal(unitOf('bench/ceiling.ts'), undefined);
  });
});
