import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSyntheticSeries } from '../../lib/data/synthetic';

/**
 * A Yahoo-style daily CSV (`date,open,high,low,close,adjclose,volume`), weekdays only
 * (so weekends show as gaps), with `edit` applied to the data lines before writing.
 */
export function writeDailyCsv(dir: string, name: string, rows = 400, edit: (lines: string[]) => string[] = (l) => l): string {
  const s = generateSyntheticSeries({ interval: '1d', bars: Math.ceil(rows * 1.45), seed: 21, startPrice: 120 });
  const lines: string[] = [];
  for (let i = 0; i < s.close.length && lines.length < rows; i++) {
    const day = new Date(s.timestamp[i]);
    if (day.getUTCDay() === 0 || day.getUTCDay() === 6) continue;
    const f = (v: number) => v.toFixed(4);
    lines.push([day.toISOString().slice(0, 10), f(s.open[i]), f(s.high[i]), f(s.low[i]), f(s.close[i]), f(s.close[i] * 0.98), Math.round(s.volume[i] * 1000)].join(','));
  }
  const path = join(dir, name);
  writeFileSync(path, ['date,open,high,low,close,adjclose,volume', ...edit(lines)].join('\n') + '\n');
  return path;
}
