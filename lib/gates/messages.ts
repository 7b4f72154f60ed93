/** Every message a gate check produces, in one place. */
export const messages = {
  missingMetric: (gate: string, metric: string) => `${gate}: metric ${metric} was not measured`,
  missingThreshold: (gate: string, name: string) => `${gate}: no threshold gates.${gate}.${name} in the config`,
  missingRef: (gate: string, metric: string) => `no record of gate ${gate} with metric ${metric} to compare with`,
  failed: (gate: string, metric: string, expected: string, actual: number | null) =>
    `gate ${gate}: ${metric} = ${actual === null ? 'n/a' : formatNumber(actual)}, expected ${expected}`,
  nextStep: (runbook: string) => `see ${runbook} for why this matters and what to do`,
};

export function formatNumber(x: number): string {
  if (Number.isInteger(x)) return String(x);
  return Math.abs(x) >= 100 ? x.toFixed(1) : Math.abs(x) >= 0.01 ? x.toFixed(4) : x.toPrecision(3);
}
