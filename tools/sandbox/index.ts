export type { FaultSpec, ScriptedFault } from './faults.js';
export type { SandboxRoute } from './routes.js';
export { SANDBOX_ROUTES } from './routes.js';
export {
  DEFAULT_PAGE_SIZE,
  type ObservedRequest,
  type RunningSandbox,
  type SandboxControl,
  type SandboxOptions,
  startSandbox,
} from './server.js';
