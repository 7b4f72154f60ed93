import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { pushArtifacts, pullArtifacts, s3Store, MANIFEST } from '../../lib/storage';
import { gatebook, tempDir } from '../helpers/cli';
import { startS3Server, type S3Server } from '../helpers/s3server';

/**
 * Artifact stores against a real S3-compatible server (s3rver on 127.0.0.1, started and
 * stopped here), through `gatebook artifacts push|pull` and the library: manifest-driven
 * push (only what changed), verified pull, a multipart upload stopped half way and redone,
 * a corrupted object refused by key, a missing bucket and bad credentials named — and the
 * secret in no output.
 */
const SECRET = 'S3RVER';
let s3server: S3Server;
let endpoint: string;
let client: S3Client;
let artifacts: string;
const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: SECRET, AWS_REGION: 'us-east-1' };
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const files = (dir: string) => (readdirSync(dir, { recursive: true }) as string[]).filter((f) => !existsSync(join(dir, f)) || !require('node:fs').statSync(join(dir, f)).isDirectory()).sort();

function write(path: string, bytes: Buffer | string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

function gb(...args: string[]) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return gatebook(args);
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

beforeAll(async () => {
  s3server = await startS3Server(['runs']);
  endpoint = s3server.endpoint;
  client = s3server.client;
  Object.assign(process.env, env);
  artifacts = tempDir('artifacts-');
  write(join(artifacts, 'gates.jsonl'), '{"gate":"env"}\n');
  write(join(artifacts, 'reports', 'test_results.md'), '# results\n');
  write(join(artifacts, 'models', 'r1', 'final', 'model.json'), '{"family":"lstm"}\n');
  write(join(artifacts, 'models', 'r1', 'final', 'weights.bin'), randomBytes(12 * 1024 * 1024)); // three 5 MiB parts at least
  write(join(artifacts, '.run.lock', 'owner.json'), '{}'); // a lock is never pushed
});

afterAll(() => {
  s3server?.stop();
});

describe('artifact stores (s3rver)', () => {
  it('push sends only what the manifest lacks; pull brings every file back, byte for byte', () => {
    const first = gb('artifacts', 'push', 's3://runs/exp1', '--artifacts', artifacts, '--endpoint', endpoint);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/pushed 4 file\(s\), \d+ bytes; 0 already there/);
    expect(gb('artifacts', 'push', 's3://runs/exp1', '--artifacts', artifacts, '--endpoint', endpoint).stdout).toMatch(/pushed 0 file\(s\), 0 bytes; 4 already there with the same sha256/);
    write(join(artifacts, 'reports', 'test_results.md'), '# results, revised\n');
    expect(gb('artifacts', 'push', 's3://runs/exp1', '--artifacts', artifacts, '--endpoint', endpoint).stdout).toMatch(/pushed 1 file\(s\)/);

    const to = tempDir('pulled-');
    const pulled = gb('artifacts', 'pull', 's3://runs/exp1', '--to', to, '--endpoint', endpoint);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(files(to)).toEqual(['gates.jsonl', join('models', 'r1', 'final', 'model.json'), join('models', 'r1', 'final', 'weights.bin'), join('reports', 'test_results.md')].sort());
    for (const f of files(to)) expect(sha(join(to, f)), f).toBe(sha(join(artifacts, f)));
    expect(gb('artifacts', 'pull', 's3://runs/exp1', '--to', to, '--endpoint', endpoint).stdout).toMatch(/pulled 0 file\(s\), 0 bytes, each matching its sha256; 4 already here/);

    // one model only
    expect(gb('artifacts', 'push', 's3://runs/models/m1', '--artifacts', artifacts, '--model', 'models/r1/final', '--endpoint', endpoint).code).toBe(0);
    const model = tempDir('model-');
    expect(gb('artifacts', 'pull', 's3://runs/models/m1', '--to', model, '--endpoint', endpoint).code).toBe(0);
    expect(files(model)).toEqual([join('models', 'r1', 'final', 'model.json'), join('models', 'r1', 'final', 'weights.bin')]);
  });

  it('a multipart upload stopped half way leaves nothing listed; pushing again redoes it cleanly', async () => {
    const store = s3Store('s3://runs/stopped', { endpoint, partSize: 5 * 1024 * 1024 });
    const stop = new AbortController();
    const lines: string[] = [];
    const push = pushArtifacts(artifacts, store, {
      only: ['models/r1/final/weights.bin'], signal: stop.signal,
      log: (l) => {
        lines.push(l);
        if (/weights\.bin: \d+ %/.test(l) && !/: 0 %/.test(l)) stop.abort(); // after the first part
      },
    });
    await expect(push).rejects.toThrow(/upload of s3:\/\/runs\/stopped\/models\/r1\/final\/weights\.bin was stopped/);
    expect(await store.stat(MANIFEST)).toBeNull(); // the manifest lists only whole uploads: none yet
    expect(await store.stat('models/r1/final/weights.bin')).toBeNull();
    const again = await pushArtifacts(artifacts, store, { only: ['models/r1/final/weights.bin'] });
    expect(again.sent).toEqual(['models/r1/final/weights.bin']);
    const to = tempDir('redo-');
    await pullArtifacts(store, to);
    expect(sha(join(to, 'models/r1/final/weights.bin'))).toBe(sha(join(artifacts, 'models/r1/final/weights.bin')));
  });

  it('refuses a corrupted object by key and leaves nothing of it; names a missing bucket and refused credentials without the secret', async () => {
    await client.send(new PutObjectCommand({ Bucket: 'runs', Key: 'exp1/models/r1/final/model.json', Body: '{"family":"tcn"}\n' }));
    const to = tempDir('corrupt-');
    const r = gb('artifacts', 'pull', 's3://runs/exp1', '--to', to, '--endpoint', endpoint);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/s3:\/\/runs\/exp1 at http:\/\/127\.0\.0\.1:\d+\/models\/r1\/final\/model\.json: its sha256 \w+… differs from the manifest's/);
    expect(existsSync(join(to, 'models', 'r1', 'final', 'model.json'))).toBe(false);
    expect(files(to).filter((f) => f.includes('.tmp'))).toEqual([]);

    const missing = gb('artifacts', 'push', 's3://no-such-bucket/x', '--artifacts', artifacts, '--endpoint', endpoint);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/bucket no-such-bucket does not exist at http/);

    const saved = process.env.AWS_ACCESS_KEY_ID;
    const bad = (() => {
      env.AWS_ACCESS_KEY_ID = 'NOT-A-KEY';
      try {
        return gb('artifacts', 'pull', 's3://runs/exp1', '--to', tempDir('bad-'), '--endpoint', endpoint);
      } finally {
        env.AWS_ACCESS_KEY_ID = saved!;
      }
    })();
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/the credentials were refused at http.* for s3:\/\/runs\/exp1\/gatebook-manifest\.json \(InvalidAccessKeyId\): check AWS_ACCESS_KEY_ID/);
    for (const out of [r, missing, bad]) expect(out.stdout + out.stderr).not.toContain(SECRET); // neither the secret nor the key id is ever said
  });
});
