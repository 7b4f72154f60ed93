import { describe, expect, it, vi } from 'vitest';
import { evaluate, EvaluationError } from '../../lib/runbooks/evaluate';
import { ExpressionSyntaxError, parseExpression } from '../../lib/runbooks/expression';
import { parseRunbook } from '../../lib/runbooks/runbook';
import { contextOf } from '../../lib/runbooks/verify';
import { sealRecord, GENESIS, type GateRecord } from '../../lib/gates/record';
import { fakeRecord } from '../helpers/records';

const now = new Date('2026-01-02T00:00:00Z');
function records(): GateRecord[] {
  const base = fakeRecord('baseline', { val_accuracy: 0.56, majority_val_accuracy: 0.52 });
  const older = sealRecord({ ...fakeRecord('split', { purge_bars: 75 }), finished: '2026-01-01T12:00:00Z' }, GENESIS);
  const features = sealRecord(fakeRecord('features', { window: 60, horizon: 15 }), older.hash);
  const baseline = sealRecord(base, features.hash);
  const failed = sealRecord(fakeRecord('calibration', { ece: 0.09 }, 'fail'), baseline.hash);
  return [older, features, baseline, failed];
}
const ctx = contextOf(records(), now);
const run = (source: string) => evaluate(parseExpression(source), ctx);

describe('expression language', () => {
  it('evaluates references, arithmetic with precedence, comparisons and logic', () => {
    expect(run('baseline.val_accuracy >= baseline.majority_val_accuracy + 0.02')).toBe(true);
    expect(run('baseline.val_accuracy >= baseline.majority_val_accuracy + 0.05')).toBe(false);
    expect(run('split.purge_bars >= features.window + features.horizon')).toBe(true);
    expect(run('1 + 2 * 3 == 7 and (1 + 2) * 3 == 9')).toBe(true);
    expect(run('-2 * -3 == 6 and 10 / 4 == 2.5')).toBe(true);
    expect(run('not passed(calibration) and failed(calibration) or false')).toBe(true);
    expect(run('passed(baseline) and count(split) == 1 and count(ensemble) == 0')).toBe(true);
    expect(run('age_hours(split) == 12')).toBe(true);
    expect(run('max(1, features.window, 3) == 60 and min(2, 5) == 2 and abs(0 - 4) == 4')).toBe(true);
    expect(run('1 != 2 and true != false')).toBe(true);
  });

  it('treats a missing gate or metric as not decidable, never as a pass', () => {
    expect(() => run('ensemble.val_f1 > 0')).toThrow(new EvaluationError('no record of gate ensemble in the ledger'));
    expect(() => run('baseline.val_f1 > 0')).toThrow(/gate baseline has no metric val_f1/);
    expect(run('passed(ensemble)')).toBe(false);
    expect(() => run('1 + true')).toThrow(/needs a number/);
  });

  it('refuses anything but the grammar: no calls, properties, strings or indexing reach JavaScript', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => { throw new Error('process.exit was called'); }) as never);
    const bad: Array<[string, RegExp]> = [
      ['process.exit(3)', /"process.exit" is a reference, not something to call/],
      ["require('fs')", /unexpected character "'"/],
      ['require(fs)', /unknown function "require"/],
      ['constructor.constructor("return process")()', /unexpected character "\\""/],
      ['constructor.constructor(x)', /"constructor.constructor" is a reference, not something to call/],
      ['baseline.val_accuracy.toString', /is a reference, not something to call or open/],
      ['`whoami`', /unexpected character "`"/],
      ['a[0]', /unexpected character "\["/],
      ['x = 1', /unexpected character "="/],
      ['1 +', /expected a number, a gate.metric reference, a function or "\(" at the end/],
      ['baseline', /expected "." after "baseline"/],
      ['passed(1)', /passed\(\) takes a gate id/],
      ['1 2', /unexpected at "2"/],
    ];
    for (const [source, message] of bad) {
      expect(() => parseExpression(source), source).toThrow(ExpressionSyntaxError);
      expect(() => parseExpression(source), source).toThrow(message);
    }
    expect(exit).not.toHaveBeenCalled();
    exit.mockRestore();
  });

  it('names the file, line and column of a malformed item in a runbook', () => {
    const text = '# R\n\n- [ ] `passed(data)` fine\n- [ ] `process.exit(3)` evil\n';
    expect(() => parseRunbook(text, 'runbooks/x.md')).toThrow(/^runbooks\/x\.md:4:\d+: malformed expression `process.exit\(3\)`/);
    const column = Number(/x\.md:4:(\d+)/.exec(((): string => { try { parseRunbook(text, 'runbooks/x.md'); return ''; } catch (e) { return (e as Error).message; } })())![1]);
    expect('- [ ] `process.exit(3)` evil'.slice(column - 1)).toMatch(/^\(3\)/); // the column points at the call
  });
});

describe('hostile runbooks', () => {
  const timed = <T>(f: () => T): { value: T | Error; ms: number } => {
    const t = performance.now();
    let value: T | Error;
    try {
      value = f();
    } catch (e) {
      value = e as Error;
    }
    return { value, ms: performance.now() - t };
  };

  it('parse in linear time with size and depth limits: a parse error naming file, line and column in well under a second', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['a 1 MB manual line', `# r\n- [ ] ${'x '.repeat(500_000)}— alice`, /^$/],
      ['a 1 MB expression', `# r\n- [ ] \`${'1 + '.repeat(250_000)}1\` — big`, /r\.md:2:\d+: malformed expression .*longer than 2000/],
      ['100k nested parentheses', `# r\n- [ ] \`${'('.repeat(100_000)}1${')'.repeat(100_000)}\``, /longer than 2000/],
      ['900 nested parentheses', `# r\n- [ ] \`${'('.repeat(900)}1${')'.repeat(900)}\``, /r\.md:2:\d+: malformed expression .*nesting deeper than 64 levels/],
      ['400 nots', `# r\n- [ ] \`${'not '.repeat(400)}true\``, /nesting deeper than 64 levels/],
      ['100k terms', `# r\n- [ ] \`${'a.b + '.repeat(100_000)}1\``, /longer than 2000/],
    ];
    for (const [name, text, error] of cases) {
      const r = timed(() => parseRunbook(text, 'r.md'));
      expect(r.ms, name).toBeLessThan(1000);
      if (error.source === '^$') expect(r.value, name).not.toBeInstanceOf(Error);
      else expect(String((r.value as Error).message), name).toMatch(error);
    }
    expect(parseRunbook('# r\n- [x] Reviewed — bob, 2026-11-20\n- [x] Reviewed — a — carol, 2026-11-21\n- [x] no date — dave', 'r.md').items.map((i) => i.signoff))
      .toEqual([{ who: 'bob', when: '2026-11-20' }, { who: 'carol', when: '2026-11-21' }, null]);
  });
});
