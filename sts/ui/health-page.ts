import { createHash } from 'node:crypto';
import type { CheckReport, CheckStatus } from '../../health/doctor.js';
import type { Bucket } from '../../health/history.js';
import type { KeysReport } from '../../keys/status.js';
import type { SyncRunRecord } from '../../store/types.js';
import { escapeHtml as h } from './html.js';

/** What the admin listener's health page shows, gathered by sts/ops.ts from the running node and the store. */
export interface HealthView {
  generatedAt: Date;
  node: string;
  publicUrl: string;
  checks: CheckReport[];
  notChecked: string[];
  dcs: { dc: string; ok: boolean; ms: number; error?: string | undefined }[];
  keys: KeysReport;
  lastSync: SyncRunRecord | undefined;
  /** Failed sign-ins among the most recent audit events, by reason and by client address. */
  failures: { examined: number; since: Date | undefined; byReason: { key: string; count: number }[]; byAddress: { key: string; count: number }[] };
  tokens: Bucket[];
  failed: Bucket[];
  /** Alerts firing now (health/alerts.ts), newest first. */
  alerts: { key: string; severity: string; summary: string; since: string }[];
}

// One stylesheet, inline and allowed by its hash alone: the page loads nothing from anywhere.
const STYLE = `
:root{--ok:#1a7f37;--warn:#9a6700;--fail:#cf222e;--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#f6f8fa;--card:#fff;--accent:#0b5cab}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--bg)}
header{display:flex;align-items:center;gap:16px;padding:14px 24px;background:#0d2b45;color:#fff}
header h1{font-size:18px;margin:0;font-weight:600}
header .meta{margin-left:auto;font-size:12px;opacity:.85;text-align:right}
.pill{display:inline-block;padding:2px 10px;border-radius:999px;font-size:12px;font-weight:600;color:#fff}
.pill.pass{background:var(--ok)}.pill.warn{background:var(--warn)}.pill.fail{background:var(--fail)}
main{padding:20px 24px;display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px;max-width:1400px;margin:0 auto}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 16px;min-width:0}
section.wide{grid-column:1/-1}
h2{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:0 0 10px}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:5px 6px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:12px}
tr:last-child td{border-bottom:0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:6px;vertical-align:baseline}
.dot.pass{background:var(--ok)}.dot.warn{background:var(--warn)}.dot.fail{background:var(--fail)}
.muted{color:var(--muted)}.small{font-size:12px}
.fix{color:var(--muted);font-size:12px}
.bar{height:8px;background:#e6ebf1;border-radius:4px;overflow:hidden;min-width:80px}
.bar rect{fill:var(--accent)}
.empty{color:var(--muted);font-style:italic}
.alert{border-left:4px solid var(--warn);padding:4px 10px;margin:0 0 6px}
.alert.critical{border-color:var(--fail)}
figure{margin:0 0 14px}
svg.chart{width:100%;height:auto;display:block}
svg.chart .grid{stroke:#e6ebf1}
svg.chart .axis{fill:var(--muted);font-size:11px}
svg.chart .tokens{fill:#0b5cab}
svg.chart .failures{fill:#cf222e}
ul.plain{list-style:none;margin:0;padding:0}
`;
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/** Nothing but our own inline stylesheet; no scripts, forms, frames or fetches (the page is only read). */
export const HEALTH_PAGE_CSP = ["default-src 'none'", `style-src ${STYLE_HASH}`, "img-src 'none'", "form-action 'none'", "frame-ancestors 'none'", "base-uri 'none'"].join('; ');

const WORST: Record<CheckStatus, number> = { pass: 0, warn: 1, fail: 2 };
const hhmm = (d: Date) => d.toISOString().slice(11, 16);
const when = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** The health page: server-rendered, no script, every asset inline, charts as inline SVG. */
export function healthPage(v: HealthView): string {
  const worst = v.checks.reduce<CheckStatus>((w, c) => (WORST[c.status] > WORST[w] ? c.status : w), 'pass');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gatehouse health – ${h(v.node)}</title>
<style>${STYLE}</style>
</head><body>
<header><h1>Gatehouse health</h1><span class="pill ${worst}" id="overall">${{ pass: 'all checks pass', warn: 'warnings', fail: 'failing' }[worst]}</span>
<div class="meta">${h(v.publicUrl)} · node ${h(v.node)}<br>generated ${when(v.generatedAt)}</div></header>
<main>
${alertsSection(v)}
<section class="wide" id="charts"><h2>Last 24 hours, per 5 minutes (all nodes)</h2>
${chart('Tokens issued', v.tokens, 'tokens')}
${chart('Failed sign-ins', v.failed, 'failures')}
</section>
${dcSection(v)}
${certificateSection(v)}
${syncSection(v)}
${failureSection(v)}
${checksSection(v)}
</main></body></html>`;
}

function alertsSection(v: HealthView): string {
  if (v.alerts.length === 0) return '';
  const rows = v.alerts.map((a) => `<p class="alert ${a.severity === 'critical' ? 'critical' : ''}"><strong>${h(a.summary)}</strong> <span class="muted small">since ${h(a.since.slice(0, 16).replace('T', ' '))} UTC</span></p>`);
  return `<section class="wide" id="alerts"><h2>Alerts firing</h2>${rows.join('')}</section>`;
}

function dcSection(v: HealthView): string {
  const rows = v.dcs.map((d) => `<tr><td><span class="dot ${d.ok ? 'pass' : 'fail'}"></span><code>${h(d.dc)}</code></td><td>${d.ok ? 'up' : `down <span class="fix">${h(d.error ?? '')}</span>`}</td><td class="num">${d.ms} ms</td></tr>`);
  return `<section id="dcs"><h2>Domain controllers</h2><table><thead><tr><th>DC</th><th>State</th><th class="num">Connect + bind</th></tr></thead><tbody>${rows.join('') || '<tr><td colspan="3" class="empty">no directory</td></tr>'}</tbody></table></section>`;
}

function certificateSection(v: HealthView): string {
  const shown = v.keys.keys.filter((k) => k.state !== 'retired');
  const rows = shown.map((k) => {
    const entra = k.entra ? k.entra.map((d) => `<span class="dot ${d.knows ? 'pass' : k.state === 'previous' ? 'warn' : 'fail'}"></span>${h(d.domain)}`).join('<br>') : '<span class="muted">not asked</span>';
    const status: CheckStatus = k.daysLeft < 0 ? 'fail' : k.daysLeft < 30 ? 'warn' : 'pass';
    return `<tr><td><code title="${h(k.thumbprint)}">${h(k.thumbprint.slice(0, 12))}…</code><br><span class="small muted">${h(k.subject)}</span></td><td>${h(k.role)}</td><td>${h(k.state)}</td><td class="num"><span class="dot ${status}"></span>${k.daysLeft}</td><td class="small">${entra}</td></tr>`;
  });
  const inStep = v.keys.entraInStep === undefined ? '<span class="muted">Entra not asked (no graph: section, or Entra is no relying party)</span>' : v.keys.entraInStep ? '<span class="dot pass"></span>Entra is in step: it knows the active and the next certificate' : '<span class="dot fail"></span>Entra is out of step';
  const plan = [v.keys.rollover.generateNextAt && `next generated ${v.keys.rollover.generateNextAt.slice(0, 10)}`, v.keys.rollover.promoteNextAt && `next promoted ${v.keys.rollover.promoteNextAt.slice(0, 10)}`].filter(Boolean).join(' · ');
  const problems = v.keys.problems.map((p) => `<li class="fix">${h(p)}</li>`).join('');
  return `<section id="certificates"><h2>Certificates</h2><table><thead><tr><th>Thumbprint</th><th>Role</th><th>State</th><th class="num">Days left</th><th>Entra knows it</th></tr></thead><tbody>${rows.join('')}</tbody></table>
<p class="small">${inStep}</p><p class="small muted">Automatic rollover ${v.keys.rollover.autoRollover ? 'on' : 'off'}${plan ? `: ${h(plan)}` : ''}</p>${problems ? `<ul>${problems}</ul>` : ''}</section>`;
}

function syncSection(v: HealthView): string {
  const run = v.lastSync;
  if (!run) return '<section id="sync"><h2>Last sync run</h2><p class="empty">no sync run recorded</p></section>';
  const status: CheckStatus = run.outcome === 'success' || run.outcome === 'staged' ? 'pass' : run.outcome === 'running' || run.outcome === 'partial' ? 'warn' : 'fail';
  const counts = Object.entries(run.counts).map(([k, n]) => `<tr><td>${h(k)}</td><td class="num">${n}</td></tr>`).join('');
  return `<section id="sync"><h2>Last sync run</h2><p><span class="dot ${status}"></span><strong>${h(run.outcome)}</strong> · ${h(run.mode)} · started ${when(run.startedAt)}${run.finishedAt ? `, ${Math.round((run.finishedAt.getTime() - run.startedAt.getTime()) / 1000)} s` : ''}</p>
${run.message ? `<p class="fix">${h(run.message)}</p>` : ''}${counts ? `<table><tbody>${counts}</tbody></table>` : ''}</section>`;
}

function failureSection(v: HealthView): string {
  const f = v.failures;
  const list = (rows: { key: string; count: number }[], what: string) => {
    if (rows.length === 0) return `<p class="empty">no failed sign-ins</p>`;
    const max = Math.max(...rows.map((r) => r.count));
    return `<table><thead><tr><th>${what}</th><th class="num">Failures</th><th></th></tr></thead><tbody>${rows
      .map((r) => `<tr><td><code>${h(r.key)}</code></td><td class="num">${r.count}</td><td><svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" width="100" height="8" aria-hidden="true"><rect width="${Math.max(2, Math.round((r.count / max) * 100))}" height="8"/></svg></td></tr>`)
      .join('')}</tbody></table>`;
  };
  const scope = `<p class="small muted">the last ${f.examined} sign-in events${f.since ? `, since ${when(f.since)}` : ''}</p>`;
  return `<section id="failures"><h2>Recent failures by reason</h2>${list(f.byReason, 'Reason')}${scope}</section>
<section id="addresses"><h2>Top addresses with failures</h2>${list(f.byAddress, 'Client address')}${scope}</section>`;
}

function checksSection(v: HealthView): string {
  const rows = v.checks.map((c) => `<tr><td><span class="dot ${c.status}"></span>${h(c.name)}</td><td>${h(c.detail)}${c.fix ? `<div class="fix">fix: ${h(c.fix)}</div>` : ''}</td></tr>`);
  const not = v.notChecked.map((n) => `<li>${h(n)}</li>`).join('');
  return `<section class="wide" id="checks"><h2>Doctor checks</h2><table><tbody>${rows.join('')}</tbody></table>${not ? `<p class="small muted">Not checked here:</p><ul class="small muted">${not}</ul>` : ''}</section>`;
}

/** A bar chart of 5-minute buckets as inline SVG: one bar per bucket, the largest value and the hours marked. */
function chart(title: string, buckets: Bucket[], kind: 'tokens' | 'failures'): string {
  const W = 960;
  const H = 150;
  const left = 40;
  const right = 24; // room for the last hour's label
  const bottom = 18;
  const top = 8;
  const max = Math.max(1, ...buckets.map((b) => b.value));
  const step = (W - left - right) / Math.max(1, buckets.length);
  const y = (value: number) => top + (H - top - bottom) * (1 - value / max);
  const bars = buckets
    .filter((b) => b.value > 0)
    .map((b) => {
      const i = buckets.indexOf(b);
      return `<rect class="${kind}" x="${(left + i * step).toFixed(1)}" y="${y(b.value).toFixed(1)}" width="${Math.max(1, step - 0.6).toFixed(1)}" height="${(H - bottom - y(b.value)).toFixed(1)}"><title>${hhmm(b.start)} UTC: ${b.value}</title></rect>`;
    })
    .join('');
  const ticks = buckets
    .map((b, i) => ({ b, i }))
    .filter(({ b }) => b.start.getUTCMinutes() === 0 && b.start.getUTCHours() % 3 === 0)
    .map(({ b, i }) => `<line class="grid" x1="${(left + i * step).toFixed(1)}" y1="${top}" x2="${(left + i * step).toFixed(1)}" y2="${H - bottom}"/><text class="axis" x="${(left + i * step).toFixed(1)}" y="${H - 4}" text-anchor="middle">${hhmm(b.start)}</text>`)
    .join('');
  const total = buckets.reduce((n, b) => n + b.value, 0);
  return `<figure><figcaption class="small"><strong>${h(title)}</strong> <span class="muted">${total} in 24 h, at most ${max === 1 && total === 0 ? 0 : max} per 5 min</span></figcaption>
<svg class="chart" id="chart-${kind}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${h(title)} per 5 minutes over the last 24 hours">
<line class="grid" x1="${left}" y1="${y(max)}" x2="${W - right}" y2="${y(max)}"/><line class="grid" x1="${left}" y1="${H - bottom}" x2="${W - right}" y2="${H - bottom}"/>
<text class="axis" x="${left - 6}" y="${y(max) + 4}" text-anchor="end">${max}</text><text class="axis" x="${left - 6}" y="${H - bottom + 4}" text-anchor="end">0</text>
${ticks}${bars}</svg></figure>`;
}
