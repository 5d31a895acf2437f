import assert from 'node:assert/strict';
import { DOMParser } from '@xmldom/xmldom';
import type { ConfigInput } from '../../config/schema.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { readForm, WebClient } from '../support/web-client.js';
import { xmlsecVerify, type XmlsecResult } from '../xml/xmlsec1.js';

export const ALICE = { upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00', immutableId: 'RDMiEWZViHeZqrvM3e7/AA==' };
export const BOB = { upn: 'bob@corp.example.com', password: 'Passw0rd!', objectGuid: '0f0e0d0c-0b0a-0908-0706-050403020100', immutableId: 'DA0ODwoLCAkHBgUEAwIBAA==' };

export const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';

type Trust = NonNullable<ConfigInput['trusts']>[number];

/** Gatehouse with the file directory (alice, bob) and the given SAML trusts. */
export function startSamlGatehouse(trusts: Trust[], extra: Partial<ConfigInput> = {}): Promise<RunningTestGatehouse> {
  return startTestGatehouse({ directory: { users: [ALICE, BOB] }, trusts, extra });
}

/** A trust for an SP at `base` (ACS base/acs over POST, SLO base/slo), as an operator writes it. */
export function spTrust(identifier: string, base: string, saml: Partial<NonNullable<Trust['saml']>> = {}, name = identifier): Trust {
  return {
    identifier,
    name,
    replyUrls: [`${base}/acs`],
    saml: {
      assertionConsumerServices: [{ binding: 'post', location: `${base}/acs`, index: 0, isDefault: true }],
      singleLogoutServices: [{ binding: 'redirect', location: `${base}/slo` }],
      ...saml,
    },
  };
}

export function newClient(gh: RunningTestGatehouse): WebClient {
  return new WebClient([gh.tlsCertPem]);
}

/** From a login page (the answer to a sign-in request), post the credentials; returns the form Gatehouse posts to the SP. */
export async function logInFrom(client: WebClient, gh: RunningTestGatehouse, loginPage: Response | import('undici').Response, user = ALICE) {
  const html = await loginPage.text();
  assert.equal(loginPage.status, 200, html);
  const { action, fields } = readForm(html);
  const answer = await client.post(new URL(action, gh.url).href, { ...fields, UserName: user.upn, Password: user.password });
  const page = await answer.text();
  assert.equal(answer.status, 200, page);
  return readForm(page);
}

export function decodeXml(b64: string): string {
  return Buffer.from(b64, 'base64').toString('utf8');
}

export function parse(xml: string) {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  return doc.documentElement!;
}

/** xmlsec1 --verify of the Response's own signature, then of the assertion cut out of it. */
export async function xmlsecResponse(xml: string, certPem: string): Promise<XmlsecResult> {
  return xmlsecVerify(xml, certPem, { attr: 'ID', ns: SAMLP, element: 'Response' });
}

export async function xmlsecAssertion(xml: string, certPem: string): Promise<XmlsecResult> {
  const start = xml.indexOf('<saml:Assertion');
  const end = xml.indexOf('</saml:Assertion>') + '</saml:Assertion>'.length;
  assert.ok(start >= 0 && end > start, 'an assertion in the Response');
  return xmlsecVerify(xml.slice(start, end), certPem, { attr: 'ID', ns: SAML, element: 'Assertion' });
}
