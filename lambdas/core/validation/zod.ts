import { en } from 'zod/locales';
import { config } from 'zod/mini';

/**
 * zod as the Lambdas use it: `zod/mini`, whose functions tree-shake, where the classic API bundles
 * all of zod (about 445 KB) whatever a schema uses. Import it as a namespace,
 * `import * as z from '.../validation/zod.js'`: esbuild drops what the schemas do not call, while
 * `import { z } from 'zod/mini'` keeps everything.
 *
 * Classic zod loads its English messages itself, mini does not; loading them here (about 3 KB)
 * keeps the messages a 422 or a dead-letter reason shows ("Too small: expected string to have
 * >=1 characters") instead of mini's bare "Invalid input". Every schema module imports zod through
 * this one, so none can run without them.
 */
config(en());

export * from 'zod/mini';
