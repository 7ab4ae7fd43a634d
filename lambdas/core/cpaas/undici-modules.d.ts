/**
 * Types for the two undici modules `http-transport.ts` imports one by one instead of undici's
 * entry point, which would bundle all of undici (fetch, WebSocket, mocks, caches: 525 KB) into the
 * worker. undici has no `exports` map, so these paths resolve at runtime, but it ships declarations
 * only for its entry point; these borrow them.
 */

declare module 'undici/lib/dispatcher/pool.js' {
  import { Pool } from 'undici';

  export default Pool;
}

/**
 * `Dispatcher.prototype.request`: undici's entry point installs it on every dispatcher, so a
 * `Pool` imported alone lacks it; called with the dispatcher as `this`, it is the same function.
 */
declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';

  const request: Dispatcher['request'];
  export default request;
}
