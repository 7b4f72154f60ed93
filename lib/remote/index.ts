export { resolveTarget, type SshTarget, type TargetFlags } from './target';
export { SshSession, ConnectionError, shq, type SessionOptions } from './session';
export { fingerprint, knownHostsPath, checkHostKey } from './hostKeys';
export { projectFiles, syncProject } from './projectSync';
export { startRun, streamRun, stopRun, checkRemoteNode, ledgerOfArgs, prepareBox, type StreamEnd } from './remoteRun';
export { listRuns, findRun, remoteView, saveRun, type LocalRun, type RemoteView } from './runs';
export { fetchRun, fetchRemote, homeOf, type FetchReport } from './fetch';
export { shutdownBox } from './shutdown';
export { remoteStatus, connectTo, type RunStatus, type ConnectOptions } from './status';
