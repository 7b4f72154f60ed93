/**
 * What the GPU box offers WebGPU, for bench/device/run.sh: the doctor's checks, then the
 * adapter search (Vulkan, then OpenGL ES) without and with software adapters allowed.
 */
import { findAdapter, gpuDoctor } from '../../lib/backend/webgpu';

(async () => {
  for (const c of gpuDoctor()) console.log(`  ${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}${c.fix ? `\n      fix: ${c.fix}` : ''}`);
  const search = await findAdapter(false);
  console.log(`  adapters seen: ${JSON.stringify(search.seen)}`);
  console.log(`  chosen: ${search.chosen ? JSON.stringify(search.chosen.info) : `none — ${search.problem}`}`);
  process.exit(0);
})();
