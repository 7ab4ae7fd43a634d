import { type RunningSandbox, type SandboxOptions, startSandbox } from '../../../tools/sandbox/index.js';

/** Response JSON as tests read it: many shapes, checked by the assertions themselves. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type JsonBody = any;

/** Reads a response body for assertions. */
export async function bodyOf(response: Response): Promise<JsonBody> {
  return response.json();
}

/** A sandbox plus small fetch helpers that speak its API the way a client would. */
export interface SandboxHarness {
  readonly sandbox: RunningSandbox;
  readonly usersUrl: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  json(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: JsonBody; headers: Headers }>;
}

export async function startHarness(options: SandboxOptions = {}): Promise<SandboxHarness> {
  const sandbox = await startSandbox({ port: 0, ...options });
  const usersUrl = `/v1/account/${sandbox.accountId}/user`;
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${sandbox.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${sandbox.apiKey}`,
        'content-type': 'application/json',
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  return {
    sandbox,
    usersUrl,
    call,
    async json(method, path, body) {
      const response = await call(method, path, body);
      return { status: response.status, body: await bodyOf(response), headers: response.headers };
    },
  };
}

export function userInput(n: number | string, extra: Record<string, unknown> = {}) {
  return { email: `person${n}@example.com`, first_name: `First${n}`, last_name: `Last${n}`, ...extra };
}
