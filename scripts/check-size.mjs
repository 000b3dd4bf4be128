#!/usr/bin/env node
/**
 * Size limits of product code (src, drivers, ipam): no file over 400 lines, no line over
 * 140 characters, no function over 80 lines (found with swc's TypeScript parser, so every
 * kind counts: declarations, methods, arrows). Prints every offence as "path:line: reason"
 * and exits 1 if there is one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseSync } from '@swc/core';

const ROOTS = ['src', 'drivers', 'ipam'];
const MAX_LINES = 400;
const MAX_WIDTH = 140;
const MAX_FUNCTION_LINES = 80;
const FUNCTION_NODES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'ClassMethod',
  'PrivateMethod', 'Constructor', 'GetterProperty', 'SetterProperty', 'MethodProperty']);

/** [first line, last line] of every function in the file; swc spans are UTF-8 byte offsets. */
function functionSpans(text) {
  const bytes = Buffer.from(text);
  const lineStarts = [0];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) lineStarts.push(i + 1);
  const lineOf = (offset) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  // A leading ';' is the module's first token, so its span start marks the file's offset 0
  // (swc's spans are not 0-based); a shebang becomes a comment of the same length.
  const ast = parseSync(`;${text.replace(/^#!/, '//')}`, { syntax: 'typescript', target: 'es2022' });
  const base = ast.span.start + 1;
  const spans = [];
  const walk = (node) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    if (FUNCTION_NODES.has(node.type) && node.span) {
      spans.push([lineOf(node.span.start - base), lineOf(node.span.end - 1 - base)]);
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'span' && v && typeof v === 'object') walk(v);
  };
  walk(ast.body);
  return spans;
}

function* sources(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(full);
    else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name)) yield full;
  }
}

const offences = [];
for (const root of ROOTS.filter((r) => fs.existsSync(r))) {
  for (const file of sources(root)) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (lines.length > MAX_LINES) offences.push(`${file}:${lines.length}: ${lines.length} lines (limit ${MAX_LINES})`);
    lines.forEach((line, i) => {
      if (line.length > MAX_WIDTH) offences.push(`${file}:${i + 1}: line of ${line.length} characters (limit ${MAX_WIDTH})`);
    });
    for (const [first, last] of functionSpans(fs.readFileSync(file, 'utf8'))) {
      const n = last - first + 1;
      if (n > MAX_FUNCTION_LINES) offences.push(`${file}:${first}: function of ${n} lines (limit ${MAX_FUNCTION_LINES})`);
    }
  }
}
for (const o of offences) console.log(o);
if (offences.length > 0) {
  console.log(`${offences.length} size offence(s)`);
  process.exit(1);
}
