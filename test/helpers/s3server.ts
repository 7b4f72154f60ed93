import { spawn } from 'node:child_process';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { ROOT, tempDir } from './cli';
import { signalChild } from '../../lib/util/signalChild';

export interface S3Server {
  endpoint: string;
  /** an SDK client on the server (the test's own access to the bucket) */
  client: S3Client;
  /** credentials the server accepts, for the environment of a `gatebook` child */
  env: Record<string, string>;
  stop(): void;
}

/**
 * A real S3-compatible server (npm `s3rver`) on 127.0.0.1, in a process of its own — a
 * `gatebook` run under spawnSync would block a server in the test's process — with the
 * buckets named created. s3rver accepts the access key S3RVER / S3RVER.
 */
export async function startS3Server(buckets: string[]): Promise<S3Server> {
  const script = `const S3rver = require('s3rver'); new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: ${JSON.stringify(tempDir('s3rver-'))} }).run().then((a) => console.log(JSON.stringify(a)));`;
  const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d) => resolve(JSON.parse(String(d)).port));
    child.once('exit', (code) => reject(new Error(`s3rver exited (${code})`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  for (const Bucket of buckets) await client.send(new CreateBucketCommand({ Bucket }));
  return { endpoint, client, env: { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' }, stop: () => signalChild(child) };
}
