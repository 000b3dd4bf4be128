/**
 * Go text/template as the docker CLI uses it for --format: compile once, render any value.
 * Supported: text, `{{.}}`, field chains on dot, variables and parenthesised pipelines, `$`,
 * `$x := ...` / `$x = ...`, if / else if / else, with / else with, range (arrays, maps in
 * sorted key order, integers; `$v :=` and `$k, $v :=`), break / continue, pipelines, string,
 * raw string, number, bool and nil literals, comments and the `{{- -}}` trim markers, and the
 * functions in funcs.ts. define / template / block are refused with a clear error.
 */
import { Executor } from './exec.js';
import { isFunc } from './funcs.js';
import { parseTemplate } from './parse.js';

export function compileTemplate(tpl: string): (dot: unknown) => string {
  const nodes = parseTemplate(tpl, isFunc);
  return (dot) => {
    const out: string[] = [];
    new Executor(dot, out).run(nodes, dot);
    return out.join('');
  };
}

export function renderTemplate(tpl: string, dot: unknown): string {
  return compileTemplate(tpl)(dot);
}
