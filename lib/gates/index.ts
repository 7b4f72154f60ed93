export { OPS, type Op, type Bound, type GateSpec, type CheckSpec } from './spec';
export { inDependencyOrder, danglingReference } from './order';
export { evaluateChecks, compare, type CheckIssue, type RefLookup, type Thresholds } from './check';
export { GateRecord, CheckResult, Provenance, hashRecord, sealRecord, GENESIS, type UnsealedRecord } from './record';
export { appendRecord, verifyLedger, verifyLedgerText, latestByGate, ledgerPathOf, type LedgerState } from './ledger';
export { intactRecords, latestRecords, latestRecordOf, bestRecord, modelDirOf, modelHistory, recordArtifactJson } from './queries';
export { codeSha256, gitState, versions, deviceName, host } from './provenance';
export { formatNumber, messages } from './messages';
