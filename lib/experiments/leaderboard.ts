import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic';
import type { Registry, RegistryEntry } from './registry';

export const LEADERBOARD_CSV = join('reports', 'leaderboard.csv');
export const LEADERBOARD_MD = join('reports', 'leaderboard.md');

const COLUMNS = ['target', 'name', 'version', 'status', 'experiment', 'family', 'symbols', 'test_accuracy', 'test_accuracy_lo', 'test_accuracy_hi', 'test_ece', 'test_roc_auc', 'promoted_at', 'promoted_by'] as const;

/** Every promoted model, champions first within each target, then by test accuracy. */
export function leaderboardRows(registry: Registry): string[][] {
  const value = (e: RegistryEntry, c: (typeof COLUMNS)[number]): string => {
    if (c === 'symbols') return symbolsOf(e);
    if (c.startsWith('test_')) {
      const v = e.metrics[c];
      return typeof v === 'number' ? v.toFixed(4) : '';
    }
    return String((e as unknown as Record<string, unknown>)[c] ?? '');
  };
  return [...registry.entries]
    .sort((a, b) => a.target.localeCompare(b.target) || (a.status === b.status ? 0 : a.status === 'champion' ? -1 : 1) || (b.metrics.test_accuracy ?? 0) - (a.metrics.test_accuracy ?? 0))
    .map((e) => COLUMNS.map((c) => value(e, c)));
}

/** What an entry serves: its one symbol, or the symbols it passed on by the k-of-n rule ("SYN-BTC SYN-ETH (2 of 3)"); empty for a single-symbol model. */
function symbolsOf(e: RegistryEntry): string {
  if (e.symbol) return `${e.symbol}${e.symbols ? ` (${e.symbols.rule})` : ''}`;
  return e.symbols ? `${e.symbols.passed.join(' ')} (${e.symbols.rule})` : '';
}

/** `reports/leaderboard.csv` and `reports/leaderboard.md`, rewritten from the registry. */
export function writeLeaderboard(registry: Registry): void {
  const rows = leaderboardRows(registry);
  const csv = (cell: string) => (/[",\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);
  writeFileAtomic(LEADERBOARD_CSV, [COLUMNS.join(','), ...rows.map((r) => r.map(csv).join(','))].join('\n') + '\n');
  const md = [
    '# Leaderboard', '', 'Promoted models from `models/registry.json` (`gatebook exp promote`); the champion of each target first.', '',
    `| ${COLUMNS.join(' | ')} |`, `|${COLUMNS.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`), '',
  ];
  writeFileAtomic(LEADERBOARD_MD, md.join('\n'));
}
