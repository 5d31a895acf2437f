import type { Response } from 'express';
import type { Config } from '../../config/load.js';
import { escapeHtml } from './html.js';
import type { Texts } from './texts.js';

/** Branding from config with its texts resolved (sts/ui/texts.ts). */
export type Branding = Omit<Config['branding'], 'texts'> & { texts: Texts };

/**
 * The page shell every page shares: branding from config, the accent colour as a CSS variable,
 * `lang` set, and a main landmark so screen readers land on the content.
 */
export function page(b: Branding, title: string, body: string, opts: { script?: boolean } = {}): string {
  const logo = b.logoUrl ? `<img class="logo" src="${escapeHtml(b.logoUrl)}" alt="${escapeHtml(b.organisation)}">` : `<p class="org">${escapeHtml(b.organisation)}</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} – ${escapeHtml(b.organisation)}</title>
<link rel="stylesheet" href="/adfs/portal/css/style.css">
<style>:root{--accent:${b.primaryColour}}</style>
${opts.script ? '<script src="/adfs/portal/js/autopost.js" defer></script>' : ''}
</head><body><main id="content">${logo}
${body}
</main></body></html>`;
}

/**
 * Sends one of our pages: never cached (it may carry a token or a CSRF value), and with a CSP that
 * allows nothing inline but the accent colour, forms only to the given targets, frames only from
 * the given origins.
 */
export function sendPage(res: Response, html: string, opts: { status?: number; formTargets?: string[]; frameTargets?: string[] } = {}): void {
  res
    .status(opts.status ?? 200)
    .set('Cache-Control', 'no-store')
    .set('Content-Security-Policy', pageCsp(opts.formTargets, opts.frameTargets))
    .type('html')
    .send(html);
}

export function pageCsp(formTargets: string[] = ["'self'"], frameTargets: string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' https: data:",
    `form-action ${formTargets.join(' ')}`,
    `frame-src ${frameTargets.length ? frameTargets.join(' ') : "'none'"}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}
