import { existsSync, readFileSync } from 'node:fs';
import { InputError } from '../util/errors';
import { ExpressionSyntaxError, parseExpression, type Node } from './expression';

/** A checklist line of a runbook. */
export interface RunbookItem {
  /** 1-based line in the file */
  line: number;
  text: string;
  ticked: boolean;
  /** Automatic items: the line's leading inline code, parsed. */
  expression: { source: string; node: Node } | null;
  /** Manual items ticked as "— who, YYYY-MM-DD" (or "-- who YYYY-MM-DD"). */
  signoff: { who: string; when: string } | null;
}

export interface Runbook {
  path: string;
  title: string;
  lines: string[];
  items: RunbookItem[];
}

const CHECKBOX = /^(\s*[-*+]\s+\[)([ xX])(\]\s+)(.*)$/;
const LEADING_CODE = /^`([^`]+)`/;
/**
 * A sign-off at the end of a manual item: "— who, YYYY-MM-DD" (or "-- who YYYY-MM-DD"),
 * found from the end of the line in one pass (a regex over the whole line was quadratic on
 * long lines).
 */
function signoffOf(body: string): { who: string; when: string } | null {
  const date = /(\d{4}-\d{2}-\d{2})\s*$/.exec(body.slice(-40));
  if (!date) return null;
  const before = body.slice(0, body.length - date[0].length);
  const dash = Math.max(before.lastIndexOf('—'), before.lastIndexOf('--'));
  if (dash < 0) return null;
  const who = before.slice(dash + (before.startsWith('--', dash) ? 2 : 1)).trim().replace(/,$/, '').trim();
  if (!who || who.includes('—') || who.includes(',') || !/\s$/.test(before)) return null;
  return { who, when: date[1] };
}

/**
 * Read a runbook: every markdown checklist line is an item. An item whose text begins with
 * inline code is automatic and that code must parse as an expression (else an error naming
 * the file, line and column); any other item is manual.
 */
export function readRunbook(path: string): Runbook {
  if (!existsSync(path)) throw new InputError(`${path}: no such runbook`);
  return parseRunbook(readFileSync(path, 'utf8'), path);
}

export function parseRunbook(text: string, path = 'runbook'): Runbook {
  const lines = text.split('\n');
  const items: RunbookItem[] = [];
  lines.forEach((raw, index) => {
    const box = CHECKBOX.exec(raw);
    if (!box) return;
    const body = box[4].trim();
    const code = LEADING_CODE.exec(body);
    let expression: RunbookItem['expression'] = null;
    if (code) {
      try {
        expression = { source: code[1], node: parseExpression(code[1]) };
      } catch (error) {
        if (!(error instanceof ExpressionSyntaxError)) throw error;
        const column = box[1].length + box[2].length + box[3].length + (box[4].length - box[4].trimStart().length) + 1 + error.column;
        throw new InputError(`${path}:${index + 1}:${column}: malformed expression \`${code[1]}\`: ${error.message}`);
      }
    }
    const signoff = signoffOf(body);
    items.push({
      line: index + 1,
      text: body,
      ticked: box[2] !== ' ',
      expression,
      signoff,
    });
  });
  const title = lines.find((l) => l.startsWith('# '))?.slice(2).trim() ?? path;
  return { path, title, lines, items };
}

/** The runbook's text with automatic items ticked as `holds` says (manual items untouched). */
export function withTicks(runbook: Runbook, holds: Map<number, boolean>): string {
  return runbook.lines
    .map((raw, index) => {
      const value = holds.get(index + 1);
      if (value === undefined) return raw;
      return raw.replace(CHECKBOX, (_m, a: string, _t: string, b: string, rest: string) => `${a}${value ? 'x' : ' '}${b}${rest}`);
    })
    .join('\n');
}
