/**
 * Where artifacts can live: a local folder or an S3 bucket (AWS, or an S3-compatible store
 * such as MinIO or R2 through `endpoint`), behind one small interface. Stores are picked by
 * the address's prefix (`storeFor`): `s3://bucket/prefix` → S3, `file:` or a plain path → a folder.
 */
export interface StoredObject {
  key: string;
  size: number;
}

export interface ArtifactStore {
  /** the address, for messages (`s3://bucket/prefix`, a folder) */
  readonly where: string;
  /** the object's bytes (an error naming it when it is missing) */
  read(key: string): Promise<Buffer>;
  /** the object's bytes, or null when there is none (a GET: errors come back with their codes, unlike a HEAD's) */
  readIfExists(key: string): Promise<Buffer | null>;
  /** download an object to a local file (the caller makes the file's folder) */
  download(key: string, file: string): Promise<void>;
  /** upload a local file under `key` (large files in parts) */
  upload(key: string, file: string, o?: { onPart?: (loaded: number, total: number) => void; signal?: AbortSignal }): Promise<void>;
  write(key: string, bytes: Buffer | string): Promise<void>;
  /** objects under the store's prefix (keys relative to it) */
  list(): Promise<StoredObject[]>;
  /** the object's size, or null when there is none */
  stat(key: string): Promise<{ size: number } | null>;
}

export interface StoreOptions {
  /** an S3-compatible endpoint (MinIO, R2, a test server); default: AWS */
  endpoint?: string;
  region?: string;
  /** bytes per part of a multipart upload (at least 5 MiB; default 8 MiB) */
  partSize?: number;
}
