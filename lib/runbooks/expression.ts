/**
 * The runbook expression language, parsed by gatebook itself (never eval, Function or vm):
 *
 *   expr := or;  or := and ('or' and)*;  and := not ('and' not)*;  not := 'not' not | cmp
 *   cmp  := sum (('>=' | '<=' | '>' | '<' | '==' | '!=') sum)?
 *   sum  := prod (('+' | '-') prod)*;  prod := unary (('*' | '/') unary)*;  unary := '-' unary | atom
 *   atom := number | 'true' | 'false' | gate '.' metric | fn '(' args ')' | '(' expr ')'
 *
 * Functions: passed(gate), failed(gate), age_hours(gate), count(gate) take a gate id;
 * abs(x), min(a, b, …), max(a, b, …) take expressions. Nothing else can be called.
 */
export type Node =
  | { type: 'number'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'ref'; gate: string; metric: string }
  | { type: 'gateFn'; fn: GateFunction; gate: string }
  | { type: 'mathFn'; fn: MathFunction; args: Node[] }
  | { type: 'unary'; op: '-' | 'not'; arg: Node }
  | { type: 'binary'; op: BinaryOp; left: Node; right: Node };

export const GATE_FUNCTIONS = ['passed', 'failed', 'age_hours', 'count'] as const;
export const MATH_FUNCTIONS = ['abs', 'min', 'max'] as const;
export type GateFunction = (typeof GATE_FUNCTIONS)[number];
export type MathFunction = (typeof MATH_FUNCTIONS)[number];
export type BinaryOp = '+' | '-' | '*' | '/' | '>=' | '<=' | '>' | '<' | '==' | '!=' | 'and' | 'or';

/** A malformed expression, with the 1-based column where parsing stopped. */
export class ExpressionSyntaxError extends Error {
  constructor(message: string, readonly column: number) {
    super(message);
  }
}

interface Token {
  kind: 'number' | 'ident' | 'op' | 'end';
  text: string;
  column: number;
}

const OPERATORS = ['>=', '<=', '==', '!=', '>', '<', '+', '-', '*', '/', '(', ')', ',', '.'];

/** Limits that keep parsing linear and shallow, whatever a runbook holds. */
export const MAX_EXPRESSION_LENGTH = 2000;
export const MAX_NESTING = 64;

const NUMBER = /\d+(\.\d+)?([eE][+-]?\d+)?/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const SPACE = /\s+/y;

/** Tokens in one pass (sticky regexes at the cursor: no copy of the rest of the source per token). */
function tokenize(source: string): Token[] {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionSyntaxError(`expression of ${source.length} characters is longer than ${MAX_EXPRESSION_LENGTH}: split it into several items`, MAX_EXPRESSION_LENGTH + 1);
  }
  const tokens: Token[] = [];
  const at = (re: RegExp, i: number) => {
    re.lastIndex = i;
    return re.exec(source)?.[0] ?? null;
  };
  let i = 0;
  while (i < source.length) {
    const space = at(SPACE, i);
    if (space) {
      i += space.length;
      continue;
    }
    const number = at(NUMBER, i);
    const ident = number ? null : at(IDENT, i);
    const op = number || ident ? undefined : OPERATORS.find((o) => source.startsWith(o, i));
    if (number) tokens.push({ kind: 'number', text: number, column: i + 1 });
    else if (ident) tokens.push({ kind: 'ident', text: ident, column: i + 1 });
    else if (op) tokens.push({ kind: 'op', text: op, column: i + 1 });
    else throw new ExpressionSyntaxError(`unexpected character ${JSON.stringify(source[i])}`, i + 1);
    i += tokens[tokens.length - 1].text.length;
  }
  tokens.push({ kind: 'end', text: 'end of expression', column: source.length + 1 });
  return tokens;
}

/** Parse an expression; throws ExpressionSyntaxError naming the column. */
export function parseExpression(source: string): Node {
  const tokens = tokenize(source);
  let pos = 0;
  let depth = 0;
  /** Nesting (parentheses, calls, not, unary minus) past MAX_NESTING is a parse error, not a stack overflow. */
  const nested = <T>(inner: () => T): T => {
    if (++depth > MAX_NESTING) fail(`nesting deeper than ${MAX_NESTING} levels`);
    try {
      return inner();
    } finally {
      depth--;
    }
  };
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const accept = (text: string) => (peek().text === text && peek().kind !== 'end' ? next() : null);
  const expect = (text: string) => {
    if (!accept(text)) fail(`expected "${text}"`);
  };
  const fail = (what: string): never => {
    const t = peek();
    throw new ExpressionSyntaxError(`${what} at ${t.kind === 'end' ? 'the end' : `"${t.text}"`}`, t.column);
  };
  const binaryLevel = (ops: string[], operand: () => Node) => (): Node => {
    let left = operand();
    for (;;) {
      const t = peek();
      if (!(ops.includes(t.text) && (t.kind === 'op' || t.kind === 'ident'))) return left;
      next();
      left = { type: 'binary', op: t.text as BinaryOp, left, right: operand() };
    }
  };
  const atom = (): Node => {
    const t = next();
    if (t.kind === 'number') return { type: 'number', value: Number(t.text) };
    if (t.text === '(' && t.kind === 'op') {
      const inner = nested(or);
      expect(')');
      return inner;
    }
    if (t.kind !== 'ident') {
      pos--;
      return fail('expected a number, a gate.metric reference, a function or "("');
    }
    if (t.text === 'true' || t.text === 'false') return { type: 'bool', value: t.text === 'true' };
    if (accept('(')) return nested(() => call(t));
    if (!accept('.')) {
      pos--;
      return fail(`expected "." after "${t.text}" (references are gate.metric)`);
    }
    const metric = next();
    if (metric.kind !== 'ident') {
      pos--;
      return fail('expected a metric name');
    }
    if (peek().text === '(' || peek().text === '.') fail(`"${t.text}.${metric.text}" is a reference, not something to call or open`);
    return { type: 'ref', gate: t.text, metric: metric.text };
  };
  const call = (name: Token): Node => {
    if ((GATE_FUNCTIONS as readonly string[]).includes(name.text)) {
      const gate = next();
      if (gate.kind !== 'ident') {
        pos--;
        fail(`${name.text}() takes a gate id`);
      }
      expect(')');
      return { type: 'gateFn', fn: name.text as GateFunction, gate: gate.text };
    }
    if ((MATH_FUNCTIONS as readonly string[]).includes(name.text)) {
      const args = [or()];
      while (accept(',')) args.push(or());
      expect(')');
      if (name.text === 'abs' && args.length !== 1) throw new ExpressionSyntaxError('abs() takes one argument', name.column);
      return { type: 'mathFn', fn: name.text as MathFunction, args };
    }
    throw new ExpressionSyntaxError(
      `unknown function "${name.text}" (known: ${[...GATE_FUNCTIONS, ...MATH_FUNCTIONS].join(', ')})`,
      name.column,
    );
  };
  const unary = (): Node => (accept('-') ? { type: 'unary', op: '-', arg: nested(unary) } : atom());
  const product = binaryLevel(['*', '/'], unary);
  const sum = binaryLevel(['+', '-'], product);
  const comparison = (): Node => {
    const left = sum();
    const t = peek();
    if (t.kind === 'op' && ['>=', '<=', '>', '<', '==', '!='].includes(t.text)) {
      next();
      return { type: 'binary', op: t.text as BinaryOp, left, right: sum() };
    }
    return left;
  };
  const not = (): Node => (peek().kind === 'ident' && accept('not') ? { type: 'unary', op: 'not', arg: nested(not) } : comparison());
  const and = binaryLevel(['and'], not);
  const or = binaryLevel(['or'], and);
  const tree = or();
  if (peek().kind !== 'end') fail('unexpected');
  return tree;
}
