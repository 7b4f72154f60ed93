export { GATE_IDS, OPS, type GateId, type GateSpec, type CheckSpec, type Op } from './spec';
export { GATES, gateSpec, inDependencyOrder } from './definitions';
export { GateThresholds } from './thresholds';
export { evaluateChecks, compare, type CheckIssue, type RefLookup } from './check';
export { GateRecord, CheckResult, Provenance, hashRecord, sealRecord, GENESIS } from './record';
export { appendRecord, verifyLedger, latestByGate, type LedgerState } from './ledger';
export { bestRecord } from './best';
