import { escapeHtml } from '../ui/html.js';

/** A minimal page for errors raised before any branding is known. */
export function errorPage(p: { title: string; message: string; reference?: string }): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(p.title)}</title></head><body><main><h1>${escapeHtml(p.title)}</h1><p>${escapeHtml(p.message)}</p>${p.reference ? `<p>Reference: <code>${escapeHtml(p.reference)}</code></p>` : ''}</main></body></html>`;
}
