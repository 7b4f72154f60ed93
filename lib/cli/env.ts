import type { Command } from 'commander';
import { currentBackend, deviceReport, gpuDoctor, lavapipeIcd, type GpuDoctorCheck } from '../backend';
import { defaultConfig, loadConfig } from '../pipeline/configFile';
import { verifyLedger } from '../gates/ledger';
import { runPipeline } from '../pipeline/runner';
import { action } from './action';

/** `gatebook env`: gate 00 on its own — the machine, the backend, a micro-benchmark, recorded. */
export function registerEnv(program: Command): void {
  program.command('env')
    .description('record gate env: Node, backend, device (GPU name and memory where visible; the WebGPU adapter), cores, memory, disk,\n' +
      'data present, and a micro-benchmark (per-op overhead in µs, matMul GFLOP/s) on the active backend. On a box with an\n' +
      'NVIDIA GPU but no WebGPU adapter (or with GATEBOOK_BACKEND=webgpu), says what is missing and the command that fixes it')
    .option('--config <yaml>', 'experiment config (its backend key forces a backend)')
    .option('--artifacts <dir>', 'where the ledger is', 'artifacts')
    .action(action(async (flags: { config?: string; artifacts: string }) => {
      const config = flags.config ? loadConfig(flags.config) : defaultConfig();
      const wantsWebgpu = (config.backend ?? process.env.GATEBOOK_BACKEND) === 'webgpu';
      const ledgerPath = `${flags.artifacts}/gates.jsonl`;
      let result: Awaited<ReturnType<typeof runPipeline>>;
      try {
        result = await runPipeline({ config, artifactsDir: flags.artifacts, ledgerPath, to: 'env', force: true, log: (l) => console.log(l) });
      } catch (error) {
        if (wantsWebgpu) printGpuDoctor(); // the forced backend did not load: say why, piece by piece
        throw error;
      }
      const record = verifyLedger(ledgerPath).records.filter((r) => r.gate === 'env').at(-1);
      if (record) {
        for (const [k, v] of Object.entries(record.metrics)) console.log(`  ${k.padEnd(26)} ${v ?? 'n/a'}`);
        console.log(`  ${'backend'.padEnd(26)} ${record.provenance.backend}\n  ${'device'.padEnd(26)} ${record.provenance.device}`);
      }
      const adapter = currentBackend()?.adapter;
      if (adapter?.software) {
        console.log(`WebGPU adapter ${adapter.description || adapter.device} is a software adapter (the GPU's work on the CPU): it runs here only because ` +
          'GATEBOOK_BACKEND=webgpu forces it, and would not be chosen automatically');
      }
      if (!adapter && (wantsWebgpu || deviceReport().gpu)) printGpuDoctor();
      return result.ok ? 0 : 1;
    }));
}

/** The WebGPU checks (what a GPU box needs for an adapter), each with its fix. */
function printGpuDoctor(): void {
  const checks: GpuDoctorCheck[] = gpuDoctor();
  if (!checks[0].ok) {
    checks.push({
      name: 'software adapter (lavapipe, for tests)', ok: Boolean(lavapipeIcd()), detail: lavapipeIcd() ?? 'none (looked at $GATEBOOK_LAVAPIPE_ICD, else .cache/lavapipe/lvp_icd.json)',
      fix: lavapipeIcd() ? undefined : 'bash scripts/install-lavapipe.sh (then GATEBOOK_BACKEND=webgpu runs on the CPU, slowly: for tests only)',
    });
  }
  console.log('WebGPU: no hardware adapter. What a GPU box needs:');
  for (const c of checks) console.log(`  ${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}${c.fix ? `\n      fix: ${c.fix}` : ''}`);
}
