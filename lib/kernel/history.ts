/** In-memory execution history for history_request: (session, line, input[, output]). */
export class History {
  private readonly entries: Array<{ line: number; input: string; output: string | null }> = [];

  constructor(readonly session = 1) {}

  add(line: number, input: string, output: string | null): void {
    this.entries.push({ line, input, output });
  }

  query(c: { hist_access_type?: string; n?: number; start?: number; stop?: number; pattern?: string; unique?: boolean; output?: boolean }): unknown[] {
    let rows = this.entries;
    if (c.hist_access_type === 'tail') rows = rows.slice(-(c.n ?? 10));
    else if (c.hist_access_type === 'range') rows = rows.filter((e) => e.line >= (c.start ?? 0) && e.line < (c.stop ?? Infinity));
    else if (c.hist_access_type === 'search') {
      const re = globToRegExp(c.pattern ?? '*');
      rows = rows.filter((e) => re.test(e.input));
      if (c.unique) rows = rows.filter((e, i) => rows.findIndex((o) => o.input === e.input) === i);
      if (c.n) rows = rows.slice(-c.n);
    }
    return rows.map((e) => [this.session, e.line, c.output ? [e.input, e.output] : e.input]);
  }
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 's');
}
