import type { GateRecord } from '../gates/record';
import type { Node } from './expression';

/** The ledger as expressions see it: records on the intact chain only. */
export interface EvaluationContext {
  latest: Map<string, GateRecord>;
  counts: Map<string, number>;
  now: Date;
}

/** A record an expression read, with the value it read: the item's evidence. */
export interface Evidence {
  ref: string;
  value: number | boolean | null;
  hash: string | null;
}

/** Why an expression could not be decided (a missing gate or metric, a type mismatch). */
export class EvaluationError extends Error {}

export type Value = number | boolean;

/** Evaluate a parsed expression against the ledger, collecting the evidence it used. */
export function evaluate(node: Node, ctx: EvaluationContext, evidence: Evidence[] = []): Value {
  switch (node.type) {
    case 'number':
    case 'bool':
      return node.value;
    case 'ref': {
      const record = ctx.latest.get(node.gate);
      const value = record?.metrics[node.metric];
      evidence.push({ ref: `${node.gate}.${node.metric}`, value: value ?? null, hash: record?.hash ?? null });
      if (!record) throw new EvaluationError(`no record of gate ${node.gate} in the ledger`);
      if (value === undefined || value === null) throw new EvaluationError(`gate ${node.gate} has no metric ${node.metric}`);
      return value;
    }
    case 'gateFn':
      return gateFunction(node.fn, node.gate, ctx, evidence);
    case 'mathFn': {
      const args = node.args.map((a) => number(evaluate(a, ctx, evidence), node.fn));
      return node.fn === 'abs' ? Math.abs(args[0]) : node.fn === 'min' ? Math.min(...args) : Math.max(...args);
    }
    case 'unary': {
      const v = evaluate(node.arg, ctx, evidence);
      return node.op === '-' ? -number(v, '-') : !boolean(v, 'not');
    }
    case 'binary':
      return binary(node, ctx, evidence);
  }
}

function gateFunction(fn: string, gate: string, ctx: EvaluationContext, evidence: Evidence[]): Value {
  const record = ctx.latest.get(gate);
  if (fn === 'count') {
    const n = ctx.counts.get(gate) ?? 0;
    evidence.push({ ref: `count(${gate})`, value: n, hash: record?.hash ?? null });
    return n;
  }
  if (!record) {
    evidence.push({ ref: `${fn}(${gate})`, value: null, hash: null });
    if (fn === 'age_hours') throw new EvaluationError(`no record of gate ${gate} in the ledger`);
    return false;
  }
  const value = fn === 'passed' ? record.status === 'pass' : fn === 'failed' ? record.status !== 'pass'
    : (ctx.now.getTime() - Date.parse(record.finished)) / 3_600_000;
  evidence.push({ ref: `${fn}(${gate})`, value, hash: record.hash });
  return value;
}

function binary(node: Extract<Node, { type: 'binary' }>, ctx: EvaluationContext, evidence: Evidence[]): Value {
  if (node.op === 'and' || node.op === 'or') {
    const left = boolean(evaluate(node.left, ctx, evidence), node.op);
    const right = boolean(evaluate(node.right, ctx, evidence), node.op); // both sides: all evidence shown
    return node.op === 'and' ? left && right : left || right;
  }
  const l = evaluate(node.left, ctx, evidence);
  const r = evaluate(node.right, ctx, evidence);
  if (node.op === '==' || node.op === '!=') {
    if (typeof l !== typeof r) throw new EvaluationError(`cannot compare ${typeof l} with ${typeof r}`);
    return node.op === '==' ? l === r : l !== r;
  }
  const a = number(l, node.op);
  const b = number(r, node.op);
  switch (node.op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return a / b;
    case '>=': return a >= b;
    case '<=': return a <= b;
    case '>': return a > b;
    default: return a < b;
  }
}

function number(v: Value, where: string): number {
  if (typeof v !== 'number') throw new EvaluationError(`${where} needs a number, got ${v}`);
  return v;
}

function boolean(v: Value, where: string): boolean {
  if (typeof v !== 'boolean') throw new EvaluationError(`${where} needs true or false, got ${v}`);
  return v;
}
