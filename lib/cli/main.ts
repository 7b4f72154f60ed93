import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerData } from './data';
import { registerFeatures } from './features';
import { registerGates } from './gates';
import { registerVerify } from './verify';
import { registerTrain } from './train';
import { registerEnv } from './env';
import { registerKernel } from './kernel';
import { registerRun } from './run';
import { registerReport } from './report';
import { registerPipeline } from './pipeline';
import { registerSplit } from './split';
import { registerExp } from './exp';
import { registerRegistry } from './registry';
import { registerSignals } from './signals';
import { registerArtifacts } from './artifacts';
import { registerRemote } from './remote';
import { registerSweep } from './sweep';
import { packageRoot } from '../util/packageRoot';

/** The `gatebook` program; each verb registers itself from its own file. */
export function buildProgram(): Command {
  const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  const program = new Command('gatebook')
    .description('train, check and promote time-series classifiers through gates\nexit codes: 0 ok, 1 a check failed, 2 usage or input error, 3 internal error')
    .version(version)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride((error) => {
      // commander's own usage errors exit 2 (ours), help and version exit 0
      process.exit(error.exitCode === 0 ? 0 : 2);
    });
  registerData(program);
  registerFeatures(program);
  registerSplit(program);
  registerPipeline(program);
  registerGates(program);
  registerVerify(program);
  registerTrain(program);
  registerEnv(program);
  registerKernel(program);
  registerRun(program);
  registerReport(program);
  registerExp(program);
  registerRegistry(program);
  registerSignals(program);
  registerArtifacts(program);
  registerRemote(program);
  registerSweep(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
