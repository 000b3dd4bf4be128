#!/usr/bin/env node
/**
 * Size limits of product code (src, drivers, ipam): no file over 400 lines, no line over
 * 140 characters. Prints every offence as "path:line: reason" and exits 1 if there is one.
 */
import fs from 'node:fs';
import path from 'node:path';

const ROOTS = ['src', 'drivers', 'ipam'];
const MAX_LINES = 400;
const MAX_WIDTH = 140;

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
  }
}
for (const o of offences) console.log(o);
if (offences.length > 0) {
  console.log(`${offences.length} size offence(s)`);
  process.exit(1);
}
