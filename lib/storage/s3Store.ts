import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { InputError } from '../util/errors';
import type { ArtifactStore, StoreOptions, StoredObject } from './store';

// the SDK warns on every process that Node 20 will lose support in 2027 (docs/storage.md says so once)
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const s3 = require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Upload } = require('@aws-sdk/lib-storage') as typeof import('@aws-sdk/lib-storage');

const MiB = 1024 * 1024;

/**
 * `s3://bucket/prefix` as an artifact store: the AWS SDK's standard credential chain
 * (environment, shared files, SSO, instance roles), its retries with backoff (5 attempts),
 * multipart uploads for large files (`@aws-sdk/lib-storage`: parts of `partSize`, aborted
 * — no orphan parts — when an upload fails), and errors that name the bucket, the key and
 * what was refused. Secrets never appear in a message.
 */
export function s3Store(url: string, o: StoreOptions = {}): ArtifactStore {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) throw new InputError(`${url}: not an S3 address (expected s3://bucket/prefix)`);
  const [, bucket, rawPrefix] = m;
  const prefix = rawPrefix.replace(/\/+$/, '');
  const keyOf = (key: string) => (prefix ? `${prefix}/${key}` : key);
  const client = new s3.S3Client({
    endpoint: o.endpoint,
    region: o.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    forcePathStyle: Boolean(o.endpoint), // S3-compatible servers are addressed by path
    maxAttempts: 5,
    // checksums only where S3 requires them: S3-compatible servers store aws-chunked framing otherwise (DESIGN.md)
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const where = `s3://${bucket}${prefix ? `/${prefix}` : ''}${o.endpoint ? ` at ${o.endpoint}` : ''}`;
  const explain = (error: unknown, key?: string): Error => explainS3Error(error, bucket, key === undefined ? undefined : keyOf(key), o.endpoint);
  return {
    where,
    async read(key) {
      try {
        const r = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: keyOf(key) }));
        return Buffer.from(await r.Body!.transformToByteArray());
      } catch (error) {
        throw explain(error, key);
      }
    },
    async readIfExists(key) {
      try {
        const r = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: keyOf(key) }));
        return Buffer.from(await r.Body!.transformToByteArray());
      } catch (error) {
        if ((error as { name?: string }).name === 'NoSuchKey') return null;
        throw explain(error, key);
      }
    },
    async download(key, file) {
      try {
        const r = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: keyOf(key) }));
        await pipeline(r.Body as Readable, createWriteStream(file));
      } catch (error) {
        throw explain(error, key);
      }
    },
    async upload(key, file, u = {}) {
      const total = statSync(file).size;
      const upload = new Upload({
        client, params: { Bucket: bucket, Key: keyOf(key), Body: createReadStream(file) },
        partSize: Math.max(5 * MiB, o.partSize ?? 8 * MiB), queueSize: 2, leavePartsOnError: false,
      });
      upload.on('httpUploadProgress', (p) => u.onPart?.(p.loaded ?? 0, total));
      const abort = () => void upload.abort();
      u.signal?.addEventListener('abort', abort);
      try {
        await upload.done();
      } catch (error) {
        throw explain(error, key);
      } finally {
        u.signal?.removeEventListener('abort', abort);
      }
    },
    async write(key, bytes) {
      try {
        await client.send(new s3.PutObjectCommand({ Bucket: bucket, Key: keyOf(key), Body: bytes }));
      } catch (error) {
        throw explain(error, key);
      }
    },
    async list() {
      const out: StoredObject[] = [];
      let token: string | undefined;
      try {
        do {
          const r = await client.send(new s3.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix ? `${prefix}/` : undefined, ContinuationToken: token }));
          for (const c of r.Contents ?? []) out.push({ key: prefix ? c.Key!.slice(prefix.length + 1) : c.Key!, size: c.Size ?? 0 });
          token = r.IsTruncated ? r.NextContinuationToken : undefined;
        } while (token);
      } catch (error) {
        throw explain(error);
      }
      return out;
    },
    async stat(key) {
      try {
        const r = await client.send(new s3.HeadObjectCommand({ Bucket: bucket, Key: keyOf(key) }));
        return { size: r.ContentLength ?? 0 };
      } catch (error) {
        const name = (error as { name?: string }).name;
        if (name === 'NotFound' || name === 'NoSuchKey') return null;
        throw explain(error, key);
      }
    },
  };
}

/** An S3 failure as what a person can act on: which bucket or key, and what to do. */
export function explainS3Error(error: unknown, bucket: string, key: string | undefined, endpoint?: string): Error {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const at = `${endpoint ? ` at ${endpoint}` : ''}`;
  const object = key ? `s3://${bucket}/${key}` : `s3://${bucket}`;
  switch (e.name) {
    case 'NoSuchBucket':
      return new InputError(`bucket ${bucket} does not exist${at}: create it, or check the address and --endpoint`);
    case 'NoSuchKey':
    case 'NotFound':
      return new InputError(`${object}${at}: no such object`);
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
      return new InputError(`the credentials were refused${at} for ${object} (${e.name}): check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE`);
    case 'AccessDenied':
    case 'Forbidden':
      return new InputError(`access denied${at} to ${object}: the credentials lack the permission (s3:GetObject, s3:PutObject, s3:ListBucket)`);
    case 'CredentialsProviderError':
      return new InputError(`no AWS credentials found for ${object}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (${e.message})`);
    case 'AbortError':
      return new InputError(`the upload of ${object} was stopped; nothing of it remains (the multipart upload was aborted): push again`);
    default:
      if (e.$metadata?.httpStatusCode === 403) return new InputError(`access refused${at} to ${object} (HTTP 403): the credentials are wrong or lack the permission — check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE`);
      if ((e as { code?: string }).code === 'ECONNREFUSED') return new InputError(`cannot reach the S3 endpoint${at} for ${object}: connection refused`);
      return new InputError(`S3 ${e.name ?? 'error'}${at} on ${object}: ${e.message ?? String(error)}`);
  }
}
