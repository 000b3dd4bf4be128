/**
 * The text/template executor over JSON-decoded data: dot, `$` and variables, field chains,
 * pipelines, lazy and/or, and range over arrays, maps (sorted keys, as Go) and integers.
 */
import { goString, goTruth } from '../go-values.js';
import { callFunc } from './funcs.js';
import { templateError } from './lex.js';
import type { Arg, Command, Node, Pipe } from './parse.js';

class Break {}
class Continue {}

/** A field of a value: map keys only (not inherited properties); missing gives undefined. */
function field(cur: unknown, name: string): unknown {
  if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
  if (name in Object.prototype && !Object.hasOwn(cur, name)) return undefined;
  return (cur as Record<string, unknown>)[name];
}

export class Executor {
  private readonly vars: { name: string; value: unknown }[];

  constructor(root: unknown, private readonly out: string[]) {
    this.vars = [{ name: '$', value: root }];
  }

  run(nodes: Node[], dot: unknown): void {
    const mark = this.vars.length;
    try {
      for (const n of nodes) this.node(n, dot);
    } finally {
      this.vars.length = mark;
    }
  }

  private node(n: Node, dot: unknown): void {
    switch (n.k) {
      case 'text': this.out.push(n.text); return;
      case 'action': {
        const v = this.pipe(n.pipe, dot);
        if (n.pipe.decl.length === 0) this.out.push(goString(v));
        return;
      }
      case 'break': throw new Break();
      case 'continue': throw new Continue();
      case 'range': this.range(n.pipe, n.list, n.elseList, dot); return;
      default: {
        const mark = this.vars.length;
        const v = this.pipe(n.pipe, dot);
        const branch = goTruth(v) ? n.list : n.elseList;
        try {
          if (branch) this.run(branch, n.k === 'with' && branch === n.list ? v : dot);
        } finally {
          this.vars.length = mark;
        }
      }
    }
  }

  private entries(v: unknown): [unknown, unknown][] {
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) return v.map((x, i) => [i, x]);
    if (typeof v === 'number' && Number.isInteger(v)) return Array.from({ length: Math.max(0, v) }, (_x, i) => [i, i]);
    if (typeof v === 'object') {
      const o = v as Record<string, unknown>;
      return Object.keys(o).sort().map((k) => [k, o[k]]);
    }
    throw templateError(`range can't iterate over ${goString(v)}`);
  }

  private range(pipe: Pipe, list: Node[], elseList: Node[] | undefined, dot: unknown): void {
    const mark = this.vars.length;
    const items = this.entries(this.evalCommands(pipe.cmds, dot));
    try {
      if (items.length === 0) {
        if (elseList) this.run(elseList, dot);
        return;
      }
      for (const [key, value] of items) {
        if (pipe.decl.length === 1) this.vars.push({ name: pipe.decl[0]!, value });
        if (pipe.decl.length === 2) this.vars.push({ name: pipe.decl[0]!, value: key }, { name: pipe.decl[1]!, value });
        try {
          this.run(list, value);
        } catch (err) {
          if (err instanceof Break) break;
          if (!(err instanceof Continue)) throw err;
        } finally {
          this.vars.length = mark;
        }
      }
    } finally {
      this.vars.length = mark;
    }
  }

  private pipe(pipe: Pipe, dot: unknown): unknown {
    const v = this.evalCommands(pipe.cmds, dot);
    if (pipe.assign) this.lookup(pipe.decl[0]!).value = v;
    else for (const name of pipe.decl) this.vars.push({ name, value: v });
    return v;
  }

  private evalCommands(cmds: Command[], dot: unknown): unknown {
    let piped: { v: unknown } | undefined;
    for (const cmd of cmds) piped = { v: this.command(cmd, dot, piped) };
    return piped?.v;
  }

  private command(cmd: Command, dot: unknown, piped: { v: unknown } | undefined): unknown {
    const [first, ...rest] = cmd.args;
    if (first!.k !== 'fn') {
      if (rest.length > 0 || piped) throw templateError(`can't give argument to non-function ${describe(first!)}`);
      return this.arg(first!, dot);
    }
    const name = first!.name;
    if (name === 'and' || name === 'or') return this.logic(name, rest, dot, piped);
    const args = rest.map((a) => this.arg(a, dot));
    if (piped) args.push(piped.v);
    return callFunc(name, args);
  }

  /** and/or evaluate their arguments only as far as needed, returning the deciding one. */
  private logic(name: 'and' | 'or', args: Arg[], dot: unknown, piped: { v: unknown } | undefined): unknown {
    const thunks = args.map((a) => () => this.arg(a, dot));
    if (piped) thunks.push(() => piped.v);
    if (thunks.length === 0) throw templateError(`wrong number of args for ${name}: want at least 1 got 0`);
    let v: unknown;
    for (const thunk of thunks) {
      v = thunk();
      if (goTruth(v) === (name === 'or')) return v;
    }
    return v;
  }

  private lookup(name: string): { name: string; value: unknown } {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!;
    throw templateError(`undefined variable "${name}"`);
  }

  private arg(a: Arg, dot: unknown): unknown {
    switch (a.k) {
      case 'dot': return dot;
      case 'lit': return a.v;
      case 'var': return this.lookup(a.name).value;
      case 'fn': return this.command({ args: [a] }, dot, undefined);
      case 'pipe': return this.evalCommands(a.pipe.cmds, dot);
      case 'field': {
        let cur = a.base ? this.arg(a.base, dot) : dot;
        for (const name of a.path) cur = field(cur, name);
        return cur;
      }
    }
  }
}

function describe(a: Arg): string {
  switch (a.k) {
    case 'dot': return '.';
    case 'field': return `${a.base ? describe(a.base) : ''}.${a.path.join('.')}`;
    case 'var': return a.name;
    case 'lit': return typeof a.v === 'string' ? JSON.stringify(a.v) : String(a.v);
    case 'fn': return a.name;
    case 'pipe': return '(...)';
  }
}
