import type { Command } from 'commander';
import { join } from 'node:path';
import { pullArtifacts, pushArtifacts, storeFor, type StoreOptions } from '../storage';
import { InputError } from '../util/errors';
import { action } from './action';
import { stopOnInterrupt } from './interrupt';

interface StoreFlags { endpoint?: string; region?: string }

const withStore = (c: Command) => c
  .option('--endpoint <url>', 'an S3-compatible endpoint (MinIO, R2, …); default: AWS')
  .option('--region <name>', 'the bucket\'s region (default: AWS_REGION, else us-east-1)');

const storeOptions = (f: StoreFlags): StoreOptions => ({ endpoint: f.endpoint, region: f.region });

/** `gatebook artifacts push|pull`: artifacts to and from a store (s3://bucket/prefix, or a folder) by a sha256 manifest. */
export function registerArtifacts(program: Command): void {
  const artifacts = program.command('artifacts').description('push and pull artifacts to and from a store — s3://bucket/prefix (AWS credential chain, --endpoint for S3-compatible stores) or a folder — by a sha256 manifest (docs/storage.md)');
  withStore(artifacts.command('push <address>'))
    .description('upload the artifacts folder (or one run, or one model) — only what the remote manifest lacks — then the manifest')
    .option('--artifacts <dir>', 'the artifacts folder', 'artifacts')
    .option('--run <id>', 'only this run: its models/<id>/, the ledger and the reports')
    .option('--model <dir>', 'only this model folder (relative to the artifacts folder, e.g. models/<run>/final)')
    .action(action(async (address: string, f: StoreFlags & { artifacts: string; run?: string; model?: string }) => {
      stopOnInterrupt();
      if (f.run && f.model) throw new InputError('--run and --model: choose one');
      const only = f.run ? [join('models', f.run), 'gates.jsonl', 'reports'] : f.model ? [f.model] : undefined;
      const store = storeFor(address, storeOptions(f));
      console.log(`pushing ${f.artifacts}${only ? ` (${only.join(', ')})` : ''} to ${store.where}`);
      const r = await pushArtifacts(f.artifacts, store, { only, log: (l) => console.log(l) });
      console.log(`pushed ${r.sent.length} file(s), ${r.bytes} bytes; ${r.skipped.length} already there with the same sha256`);
      return 0;
    }));
  withStore(artifacts.command('pull <address>'))
    .description('download what the store\'s manifest lists, each file checked against its sha256 before it replaces anything')
    .option('--to <dir>', 'where to', 'artifacts')
    .action(action(async (address: string, f: StoreFlags & { to: string }) => {
      stopOnInterrupt();
      const store = storeFor(address, storeOptions(f));
      console.log(`pulling ${store.where} into ${f.to}`);
      const r = await pullArtifacts(store, f.to, { log: (l) => console.log(l) });
      console.log(`pulled ${r.sent.length} file(s), ${r.bytes} bytes, each matching its sha256; ${r.skipped.length} already here`);
      return 0;
    }));
}
