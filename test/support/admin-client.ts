import { Agent, fetch } from 'undici';

/** One Prometheus sample: name, labels, value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text exposition format (version 0.0.4) read line by line: comments skipped, label values unescaped. */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(["\\n])/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels include all of `labels` (0 when none). */
export function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
}

/** An HTTPS client of the admin listener (its certificate is the test server's), sending `token` when given. */
export function adminClient(port: number, caPem: string, token?: string) {
  const agent = new Agent({ connect: { ca: caPem } });
  const base = `https://127.0.0.1:${port}`;
  return {
    base,
    async get(path: string, headers: Record<string, string> = {}) {
      const res = await fetch(`${base}${path}`, { dispatcher: agent, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
      return { status: res.status, headers: res.headers, text: await res.text() };
    },
    async scrape(): Promise<Sample[]> {
      const res = await this.get('/metrics');
      if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
      return parseMetrics(res.text);
    },
    close: () => agent.close(),
  };
}
