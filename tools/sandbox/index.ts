export { SandboxAccountError, type SandboxAccountOptions } from './accounts.js';
export type { SandboxAccountControl, SandboxControl } from './control.js';
export type { FaultSpec, ScriptedFault } from './faults.js';
export type { SandboxRoute } from './routes.js';
export { SANDBOX_ROUTES } from './routes.js';
export { type ObservedRequest, type RunningSandbox, type SandboxOptions, startSandbox } from './server.js';
export { DEFAULT_PAGE_SIZE } from './user-api.js';
