import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { USERNAME_13, USERNAME_2005, type UsernameEndpoint } from '../../sts/protocols/wstrust/versions.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'wstrust');
const templates = {
  'msal-net-2005': readFileSync(join(fixtures, 'msal-net-2005.xml'), 'utf8'),
  'msal-python-13': readFileSync(join(fixtures, 'msal-python-13.xml'), 'utf8'),
};

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** MSAL.NET writes `yyyy-MM-ddTHH:mm:ss.068Z`, MSAL Python `…:SSZ` (ENTRA.md §6.2). */
const netTime = (d: Date) => `${d.toISOString().slice(0, 19)}.068Z`;
const pyTime = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;

export interface RstOptions {
  username: string;
  password: string;
  /** The endpoint URL (wsa:To). */
  to: string;
  appliesTo?: string;
  action?: string;
  created?: Date;
  expires?: Date;
  messageId?: string;
  /** Raw XML put into the UsernameToken after the Password (a Nonce, a Created). */
  extraToken?: string;
}

/** An RST as the client `kind` sends it, from the fixture templates. */
export function rst(kind: keyof typeof templates, o: RstOptions): string {
  const endpoint: UsernameEndpoint = kind === 'msal-net-2005' ? USERNAME_2005 : USERNAME_13;
  const time = kind === 'msal-net-2005' ? netTime : pyTime;
  const created = o.created ?? new Date();
  const values: Record<string, string> = {
    action: o.action ?? endpoint.issueAction,
    messageId: o.messageId ?? randomUUID(),
    tokenId: randomUUID(),
    to: escape(o.to),
    created: time(created),
    expires: time(o.expires ?? new Date(created.getTime() + 10 * 60_000)),
    username: escape(o.username),
    password: escape(o.password),
    appliesTo: escape(o.appliesTo ?? 'urn:federation:MicrosoftOnline'),
    extraToken: o.extraToken ?? '',
  };
  return templates[kind].replace(/\{\{(\w+)\}\}/g, (_m, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`no value for {{${name}}}`);
    return v;
  });
}
