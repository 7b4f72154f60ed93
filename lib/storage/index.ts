export { type ArtifactStore, type StoredObject, type StoreOptions } from './store';
export { fileStore } from './fileStore';
export { s3Store, explainS3Error } from './s3Store';
export { storeFor, pushArtifacts, pullArtifacts, filesUnder, MANIFEST, type SyncReport } from './sync';
