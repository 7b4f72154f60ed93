/** test_results.md: the one look at the test split, for people. */
export function formatTestResults(m: Record<string, number>, about: { model: string; family: string; calibration: string; run: string }): string {
  const f = (x: number) => (Number.isNaN(x) ? 'n/a' : Number.isInteger(x) ? String(x) : x.toFixed(4));
  return `# Test results

Run \`${about.run}\`; model \`${about.family}\` in \`${about.model}\`, calibrated with ${about.calibration} on validation.
The test split was read ${m.test_reads} time(s) — once is the only honest number.

| metric | value | 95 % interval |
|---|---|---|
| accuracy | ${f(m.test_accuracy)} | ${f(m.test_accuracy_lo)} – ${f(m.test_accuracy_hi)} |
| majority-class accuracy | ${f(m.majority_test_accuracy)} | |
| persistence accuracy | ${f(m.persistence_test_accuracy)} | |
| McNemar p-value vs majority | ${f(m.p_value_vs_majority)} | |
| McNemar p-value vs persistence | ${f(m.p_value_vs_persistence)} | |
| balanced accuracy | ${f(m.test_balanced_accuracy)} | |
| precision / recall / F1 | ${f(m.test_precision)} / ${f(m.test_recall)} / ${f(m.test_f1)} | |
| ROC AUC / PR AUC | ${f(m.test_roc_auc)} / ${f(m.test_pr_auc)} | |
| log loss / Brier | ${f(m.test_log_loss)} / ${f(m.test_brier)} | |
| ECE (15 equal-width bins) | ${f(m.test_ece)} | ${f(m.test_ece_lo)} – ${f(m.test_ece_hi)} |
| MCE | ${f(m.test_mce)} | |
| windows | ${f(m.test_n)} | |

Plausible for the task (accuracy and AUC under their ceilings, \`gates.finalization.plausible_*\`): ${m.plausible ? 'yes' : '**no — leakage suspected until a person explains it, signs runbooks/05_finalization.md and raises the ceiling in the config**'}.
`;
}
