import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch } from 'undici';
import { ConfigError } from '../../config/load.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';

const branding = {
  organisation: 'Contoso <Ltd> & "Sons"',
  logoUrl: 'https://cdn.contoso.example/logo.png?a=1&b="2"',
  primaryColour: '#aa3300',
  signInTitle: 'Welcome to Contoso',
  helpText: 'Call 555-0100 for help',
  usernameHint: 'you@contoso.example',
  texts: { 'login.userName': 'Benutzername', 'login.password': 'Kennwort', 'login.submit': 'Anmelden' },
};

describe('branded, accessible pages', () => {
  let gh: RunningTestGatehouse;
  let html = '';
  let csp = '';
  before(async () => {
    gh = await startTestGatehouse({ directory: { users: [] }, extra: { branding } });
    const res = await fetch(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=urn:federation:MicrosoftOnline`, { dispatcher: new Agent({ connect: { ca: gh.tlsCertPem } }) });
    html = await res.text();
    csp = res.headers.get('content-security-policy') ?? '';
  });
  after(() => gh.stop());

  it('shows the configured organisation, logo, colour and texts, escaped', () => {
    assert.ok(html.includes('<title>Welcome to Contoso – Contoso &lt;Ltd&gt; &amp; &quot;Sons&quot;</title>'));
    assert.ok(html.includes('<img class="logo" src="https://cdn.contoso.example/logo.png?a=1&amp;b=&quot;2&quot;" alt="Contoso &lt;Ltd&gt; &amp; &quot;Sons&quot;">'));
    assert.ok(html.includes('--accent:#aa3300'));
    assert.ok(html.includes('<h1>Welcome to Contoso</h1>'));
    assert.ok(html.includes('placeholder="you@contoso.example"'));
    assert.ok(html.includes('Call 555-0100 for help'));
  });

  it('uses the operator’s texts for labels and buttons', () => {
    assert.ok(html.includes('<label for="userNameInput">Benutzername</label>'));
    assert.ok(html.includes('<label for="passwordInput">Kennwort</label>'));
    assert.ok(html.includes('>Anmelden</button>'));
  });

  it('refuses to start with a text key it does not know, naming the key', async () => {
    await assert.rejects(
      startTestGatehouse({ directory: { users: [] }, extra: { branding: { texts: { 'login.usrName': 'x' } } } }),
      (e: unknown) => e instanceof ConfigError && e.key === 'branding.texts.login.usrName',
    );
  });

  it('labels every field, sets the language, and works without script', () => {
    assert.match(html, /<html lang="en">/);
    for (const id of ['userNameInput', 'passwordInput']) assert.match(html, new RegExp(`<label for="${id}">`));
    assert.doesNotMatch(html, /<script/);
    assert.match(html, /<button type="submit"/);
    assert.match(html, /autocomplete="current-password"/);
  });

  it('sends a CSP that allows no inline script and no framing', () => {
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /form-action 'self'/);
  });
});
