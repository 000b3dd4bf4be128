/**
 * The text/template parser: pieces from the lexer to a tree of text, actions and the
 * control structures if / range / with (with their else and else-if chains), break and continue.
 */
import { lex, templateError, type Piece, type Token } from './lex.js';

/** An operand, optionally followed by a field chain (`$x.A`, `(index . 0).B`). */
export type Arg =
  | { k: 'dot' }
  | { k: 'field'; base?: Arg; path: string[] }
  | { k: 'var'; name: string }
  | { k: 'lit'; v: unknown }
  | { k: 'fn'; name: string }
  | { k: 'pipe'; pipe: Pipe };

export interface Command { args: Arg[] }

export interface Pipe {
  /** Variables declared (`$x :=`, `$k, $v :=`) or assigned (`$x =`). */
  decl: string[];
  assign: boolean;
  cmds: Command[];
}

export type Node =
  | { k: 'text'; text: string }
  | { k: 'action'; pipe: Pipe }
  | { k: 'if' | 'with' | 'range'; pipe: Pipe; list: Node[]; elseList?: Node[] }
  | { k: 'break' | 'continue' };

const CONTROL = new Set(['if', 'range', 'with']);
const UNSUPPORTED = new Set(['define', 'template', 'block']);
const LITERALS: Record<string, unknown> = { true: true, false: false, nil: null };

/** A cursor over one action's tokens. */
class Tokens {
  pos = 0;
  constructor(readonly list: Token[]) {}
  peek(): Token | undefined { return this.list[this.pos]; }
  next(): Token | undefined { return this.list[this.pos++]; }
  done(): boolean { return this.pos >= this.list.length; }
}

function operand(ts: Tokens, isFunc: (name: string) => boolean): Arg {
  const tok = ts.next();
  if (!tok) throw templateError('missing value for command');
  let arg: Arg;
  switch (tok.t) {
    case 'dot': arg = { k: 'dot' }; break;
    case 'field': return { k: 'field', path: tok.path };
    case 'var': arg = { k: 'var', name: tok.name }; break;
    case 'str': case 'num': arg = { k: 'lit', v: tok.v }; break;
    case 'ident':
      if (tok.v in LITERALS) { arg = { k: 'lit', v: LITERALS[tok.v] }; break; }
      if (CONTROL.has(tok.v) || tok.v === 'else' || tok.v === 'end') throw templateError(`unexpected <${tok.v}> in command`);
      if (!isFunc(tok.v)) throw templateError(`function "${tok.v}" not defined`);
      return { k: 'fn', name: tok.v };
    case '(': {
      const pipe = pipeline(ts, isFunc, ')');
      if (ts.next()?.t !== ')') throw templateError('unclosed left paren');
      arg = { k: 'pipe', pipe };
      break;
    }
    default: throw templateError(`unexpected "${tok.t}" in operand`);
  }
  const after = ts.peek();
  if (after?.t === 'field' && !after.space) {
    ts.next();
    return { k: 'field', base: arg, path: after.path };
  }
  return arg;
}

function declaration(ts: Tokens): { decl: string[]; assign: boolean } {
  const start = ts.pos;
  const names: string[] = [];
  while (ts.peek()?.t === 'var') {
    names.push((ts.next() as { name: string }).name);
    const sep = ts.next();
    if (sep?.t === ':=' || (sep?.t === '=' && names.length === 1)) return { decl: names, assign: sep.t === '=' };
    if (sep?.t !== ',' || names.length > 1) break;
  }
  ts.pos = start;
  return { decl: [], assign: false };
}

/** `[decl :=] cmd | cmd ...`, up to the end of the action (or `stop`). */
function pipeline(ts: Tokens, isFunc: (name: string) => boolean, stop?: ')'): Pipe {
  const { decl, assign } = declaration(ts);
  const cmds: Command[] = [];
  for (;;) {
    const args: Arg[] = [];
    while (!ts.done() && ts.peek()!.t !== '|' && ts.peek()!.t !== stop) args.push(operand(ts, isFunc));
    if (args.length === 0) throw templateError('missing value for command');
    cmds.push({ args });
    if (ts.peek()?.t !== '|') break;
    ts.next();
  }
  return { decl, assign, cmds };
}

/** Parses a whole template against a set of known function names. */
class Parser {
  private at = 0;
  constructor(private readonly pieces: Piece[], private readonly isFunc: (name: string) => boolean) {}

  /** Nodes up to a closing `end` / `else` (returned as the stopper) or the end of input. */
  list(inRange: boolean): { nodes: Node[]; stop?: 'end' | Tokens } {
    const nodes: Node[] = [];
    while (this.at < this.pieces.length) {
      const p = this.pieces[this.at++]!;
      if (p.kind === 'text') { nodes.push({ k: 'text', text: p.text }); continue; }
      const ts = new Tokens(p.tokens);
      const first = ts.peek();
      const word = first?.t === 'ident' ? first.v : undefined;
      if (word === 'end' || word === 'else') {
        ts.next();
        if (word === 'end' && !ts.done()) throw templateError('unexpected tokens after end');
        return { nodes, stop: word === 'end' ? 'end' : ts };
      }
      if (word !== undefined && UNSUPPORTED.has(word)) throw templateError(`"${word}" is not supported by weft's --format`);
      if (word === 'break' || word === 'continue') {
        if (!inRange) throw templateError(`{{${word}}} outside {{range}}`);
        nodes.push({ k: word });
        continue;
      }
      if (word !== undefined && CONTROL.has(word)) {
        ts.next();
        nodes.push(this.control(word as 'if' | 'range' | 'with', ts, inRange));
        continue;
      }
      if (ts.done()) throw templateError('missing value for command');
      nodes.push({ k: 'action', pipe: this.pipe(ts) });
    }
    return { nodes };
  }

  private pipe(ts: Tokens): Pipe {
    const pipe = pipeline(ts, this.isFunc);
    if (!ts.done()) throw templateError(`unexpected "${ts.peek()!.t}" in operand`);
    return pipe;
  }

  /** if/range/with after its keyword; `else if` (in an if) and `else with` (in a with) nest, sharing the end. */
  private control(kind: 'if' | 'range' | 'with', ts: Tokens, inRange: boolean): Node {
    if (ts.done()) throw templateError(`missing value for ${kind}`);
    const pipe = this.pipe(ts);
    const body = this.list(inRange || kind === 'range');
    if (body.stop === undefined) throw templateError('unexpected EOF');
    if (body.stop === 'end') return { k: kind, pipe, list: body.nodes };
    const rest = body.stop;
    const chained = rest.peek();
    if (chained?.t === 'ident' && chained.v === kind && kind !== 'range') {
      rest.next();
      return { k: kind, pipe, list: body.nodes, elseList: [this.control(kind, rest, inRange)] };
    }
    if (!rest.done()) throw templateError('unexpected tokens after else');
    const alt = this.list(inRange);
    if (alt.stop !== 'end') throw templateError(alt.stop === undefined ? 'unexpected EOF' : 'expected end; found else');
    return { k: kind, pipe, list: body.nodes, elseList: alt.nodes };
  }
}

export function parseTemplate(src: string, isFunc: (name: string) => boolean): Node[] {
  const parser = new Parser(lex(src), isFunc);
  const { nodes, stop } = parser.list(false);
  if (stop === 'end') throw templateError('unexpected {{end}}');
  if (stop !== undefined) throw templateError('unexpected {{else}}');
  return nodes;
}
