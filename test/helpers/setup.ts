import { rmSync } from 'node:fs';
import { afterAll, beforeEach } from 'vitest';
import { tempDir, testDirs } from './cli';

// Each test file gets its own ledger key and anchors (GATEBOOK_CONFIG_DIR), never the user's
// ~/.config/gatebook; the CLIs and kernels the tests start inherit it.
process.env.GATEBOOK_CONFIG_DIR ??= tempDir('gatebook-config-');

// the AWS SDK's notice that its 2027 releases need Node 22 (docs/storage.md), once per test file otherwise
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// The temporary folders a test file made (`tempDir`) go when it ends — after its own afterAll
// hooks, which stop the servers that use them (vitest runs after-hooks last registered first) —
// unless a test failed or GATEBOOK_KEEP_TEST_DIRS is set: then they stay for a look, named.
let failed = false;
beforeEach((context) => context.onTestFailed(() => void (failed = true)));
afterAll(() => {
  const dirs = testDirs().splice(0);
  if (failed || process.env.GATEBOOK_KEEP_TEST_DIRS) {
    if (dirs.length) console.error(`temporary folders kept: ${dirs.join(' ')}`);
    return;
  }
  for (const dir of dirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      // a folder still in use (a mount, a process writing) stays; the system's tmp cleaning takes it
    }
  }
});
