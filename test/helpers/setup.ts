import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Each test file gets its own ledger key and anchors (GATEBOOK_CONFIG_DIR), never the user's
// ~/.config/gatebook; the CLIs and kernels the tests start inherit it.
process.env.GATEBOOK_CONFIG_DIR ??= mkdtempSync(join(tmpdir(), 'gatebook-config-'));

// the AWS SDK's notice that its 2027 releases need Node 22 (docs/storage.md), once per test file otherwise
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
