import type { RegistryEntry } from '../experiments/registry';
import { baseLayout, type Figure } from './figure';

/**
 * Champion and challengers: every promoted model's test accuracy with its 95 % interval,
 * one bar per model (`name vN`), grouped by target; the champion of each target solid,
 * retired models pale. A forced promotion's bar says so.
 */
export function registryComparison(entries: readonly RegistryEntry[]): Figure {
  const sorted = [...entries].sort((a, b) => a.target.localeCompare(b.target) || a.promoted_at.localeCompare(b.promoted_at));
  const acc = (e: RegistryEntry) => e.metrics.test_accuracy ?? null;
  const bars = {
    type: 'bar', name: 'test accuracy',
    x: sorted.map((e) => `${e.target} · ${e.name} v${e.version}`),
    y: sorted.map(acc),
    error_y: {
      type: 'data', symmetric: false,
      array: sorted.map((e) => ((e.metrics.test_accuracy_hi ?? NaN) - (acc(e) ?? NaN)) || 0),
      arrayminus: sorted.map((e) => ((acc(e) ?? NaN) - (e.metrics.test_accuracy_lo ?? NaN)) || 0),
    },
    marker: { color: sorted.map((e) => (e.status === 'champion' ? '#1f77b4' : '#aec7e8')) },
    text: sorted.map((e) => `${e.status}${e.challenger?.forced ? ' (forced)' : ''}`), textposition: 'outside',
  };
  return {
    data: [bars],
    layout: baseLayout('Promoted models: test accuracy with its 95 % interval (champions solid)', { xaxis: { type: 'category' }, yaxis: { title: { text: 'test accuracy' } } }),
  } as Figure;
}
