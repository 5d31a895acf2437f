import { Document, isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import { z } from 'zod';
import { configSchema, type ConfigInput } from './schema.js';

type JsonSchema = {
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  const?: unknown;
};

/**
 * Renders a config as YAML whose comments are the schema's own descriptions and defaults, so the
 * file `gatehouse init` writes documents itself from the one source (config/schema.ts).
 */
export function renderConfig(values: ConfigInput): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const doc = new Document(values);
  annotate(doc.contents as Node, schema);
  doc.commentBefore = ' Gatehouse configuration. Every option is documented here; see config/schema.ts.';
  return doc.toString({ lineWidth: 0 });
}

function annotate(node: Node | null, schema: JsonSchema | undefined): void {
  if (!node || !schema) return;
  if (isMap(node)) {
    const chosen = pickVariant(schema, node);
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const child = chosen.properties?.[String(pair.key.value)];
      if (!child) continue;
      const text = describe(child);
      if (text) pair.key.commentBefore = text;
      annotate(pair.value as Node, child);
    }
  } else if (isSeq(node)) {
    for (const item of node.items) annotate(item as Node, schema.items);
  }
}

/** A discriminated union (directory.kind) documents the variant actually chosen. */
function pickVariant(schema: JsonSchema, node: ReturnType<Document['createNode']>): JsonSchema {
  const variants = schema.oneOf ?? schema.anyOf;
  if (!variants || !isMap(node)) return schema;
  const kind = node.get('kind');
  return variants.find((v) => v.properties?.kind?.const === kind) ?? schema;
}

function describe(s: JsonSchema): string {
  const parts = [s.description ?? s.anyOf?.find((v) => v.description)?.description];
  if (s.default !== undefined && (typeof s.default !== 'object' || s.default === null)) parts.push(`(default: ${JSON.stringify(s.default)})`);
  const text = parts.filter(Boolean).join(' ');
  return text ? ` ${text}` : '';
}
