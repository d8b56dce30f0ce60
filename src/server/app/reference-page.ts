/**
 * The human-readable API reference: one self-contained HTML page generated from the OpenAPI document
 * (no script, no CDN: servers often have no internet). Operations are grouped by tag, with the roles
 * allowed from the access table, parameters, body and responses; schemas link to their definitions.
 * @module
 */
import { ACCESS, type OperationId } from './access.js';

type Json = Record<string, unknown>;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** Renders the reference page of an OpenAPI 3.1 document. */
export function referencePage(document: object): string {
  const doc = document as Json;
  const info = (doc.info ?? {}) as Json;
  const paths = (doc.paths ?? {}) as Record<string, Json>;
  const schemas = (((doc.components ?? {}) as Json).schemas ?? {}) as Record<string, unknown>;

  const byTag = new Map<string, string[]>();
  const toc: string[] = [];
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const tag = String((op.tags as string[] | undefined)?.[0] ?? 'Other');
      const anchor = anchorOf(String(op.operationId ?? `${method}-${path}`));
      const list = byTag.get(tag) ?? [];
      list.push(operation(method, path, op, anchor));
      byTag.set(tag, list);
      toc.push(`<li><a href="#${anchor}"><code>${method.toUpperCase()} ${esc(path)}</code></a></li>`);
    }
  }
  const sections = [...byTag].map(
    ([tag, ops]) => `<h2 id="${anchorOf(tag)}">${esc(tag)}</h2>${ops.join('')}`,
  );
  const models = Object.entries(schemas).map(
    ([name, schema]) =>
      `<section id="schema-${anchorOf(name)}"><h3>${esc(name)}</h3>${schemaBlock(schema)}</section>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(String(info.title ?? 'API'))} reference</title>
<style>${STYLE}</style></head>
<body><nav><h1>${esc(String(info.title ?? 'API'))} <small>v${esc(String(info.version ?? ''))}</small></h1>
<p><a href="/openapi.json">openapi.json</a></p><ul>${toc.join('')}</ul></nav>
<main><p>${esc(String(info.description ?? ''))}</p>${sections.join('')}
<h2 id="schemas">Schemas</h2>${models.join('')}</main></body></html>`;
}

function operation(method: string, path: string, op: Json, anchor: string): string {
  const id = op.operationId as string | undefined;
  const roles = id && id in ACCESS ? ACCESS[id as OperationId].join(', ') : 'public (no key)';
  const params = ((op.parameters ?? []) as Json[]).map(
    (p) =>
      `<tr><td><code>${esc(String(p.name))}</code></td><td>${esc(String(p.in))}</td><td>${p.required ? 'yes' : ''}</td><td>${schemaInline(p.schema)}</td><td>${esc(String(p.description ?? ''))}</td></tr>`,
  );
  const body = op.requestBody as Json | undefined;
  const responses = Object.entries((op.responses ?? {}) as Record<string, Json>).map(
    ([status, r]) =>
      `<tr><td>${esc(status)}</td><td>${esc(String(r.description ?? ''))}</td><td>${content(r.content)}</td></tr>`,
  );
  return `<section class="op" id="${anchor}">
<h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code></h3>
<p>${esc(String(op.summary ?? ''))}</p>${op.description ? `<p>${esc(String(op.description))}</p>` : ''}
<p class="meta">operation <code>${esc(id ?? '-')}</code> · roles: ${esc(roles)}</p>
${params.length ? `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th><th>type</th><th></th></tr>${params.join('')}</table>` : ''}
${body ? `<h4>Body</h4>${content(body.content)}` : ''}
<h4>Responses</h4><table><tr><th>status</th><th></th><th>body</th></tr>${responses.join('')}</table></section>`;
}

function content(value: unknown): string {
  if (!value || typeof value !== 'object') return '';
  return Object.entries(value as Record<string, Json>)
    .map(([type, media]) => `<div><small>${esc(type)}</small>${schemaBlock(media.schema)}</div>`)
    .join('');
}

function schemaInline(schema: unknown): string {
  const ref = (schema as Json | undefined)?.$ref;
  if (typeof ref === 'string') return refLink(ref);
  const type = (schema as Json | undefined)?.type;
  return `<code>${esc(String(type ?? 'any'))}</code>`;
}

function schemaBlock(schema: unknown): string {
  if (schema === undefined) return '';
  const ref = (schema as Json).$ref;
  if (typeof ref === 'string') return `<p>${refLink(ref)}</p>`;
  // Refs inside are turned into links after escaping: the page stays one static document.
  const text = esc(JSON.stringify(schema, null, 2)).replace(
    /&#34;\$ref&#34;: &#34;#\/components\/schemas\/([^&]+)&#34;/g,
    (_m, name: string) => `&#34;$ref&#34;: <a href="#schema-${anchorOf(name)}">${name}</a>`,
  );
  return `<pre>${text}</pre>`;
}

function refLink(ref: string): string {
  const name = ref.split('/').pop() ?? ref;
  return `<a href="#schema-${anchorOf(name)}"><code>${esc(name)}</code></a>`;
}

function anchorOf(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '-');
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const STYLE = `body{margin:0;font:15px/1.5 system-ui,sans-serif;color:#1d1d1f;display:flex}
nav{width:300px;height:100vh;overflow:auto;position:sticky;top:0;background:#f5f5f7;padding:16px;box-sizing:border-box}
nav ul{list-style:none;padding:0;font-size:12px}main{flex:1;padding:24px 40px;max-width:1000px}
h1{font-size:20px}h2{border-bottom:1px solid #ddd;margin-top:40px}.op{margin:24px 0;padding:12px 16px;border:1px solid #e5e5e5;border-radius:8px}
.m{display:inline-block;min-width:56px;text-align:center;border-radius:4px;color:#fff;font-size:12px;padding:2px 6px}
.get{background:#2f7d32}.post{background:#1565c0}.patch{background:#8d6e00}.delete{background:#b71c1c}.put{background:#6a1b9a}
pre{background:#f7f7f9;padding:8px;overflow:auto;font-size:12px;max-height:360px}table{border-collapse:collapse;width:100%;font-size:13px}
td,th{border-bottom:1px solid #eee;text-align:left;padding:4px 8px;vertical-align:top}.meta{color:#555;font-size:13px}`;
