import { randomBytes } from 'node:crypto';
import { generateId } from './random.js';
import { RequestCounts } from './request-counts.js';
import { UserStore } from './user-store.js';

/** One CPaaS account the sandbox serves: its own key, its own users, its own request counts. */
export interface SandboxAccount {
  readonly accountId: string;
  readonly apiKey: string;
  readonly store: UserStore;
  readonly counts: RequestCounts;
}

/** What a caller may choose of a new account; whatever is left out is generated. */
export interface SandboxAccountOptions {
  readonly accountId?: string;
  readonly apiKey?: string;
}

/** An account, a key or an id the sandbox cannot take: the caller's mistake, answered as a 400. */
export class SandboxAccountError extends Error {
  override readonly name = 'SandboxAccountError';
}

const ACCOUNT_ID = /^[A-Za-z0-9]{32}$/;

/**
 * The accounts the sandbox serves, as the vendor keeps them: a key belongs to exactly one account,
 * so a request's key tells which account it may touch, and each account's users are its own (the
 * same email may exist in two accounts). The first account is the one single-account callers use.
 */
export class SandboxAccounts {
  readonly #byId = new Map<string, SandboxAccount>();
  readonly #byKey = new Map<string, SandboxAccount>();

  add(options: SandboxAccountOptions = {}): SandboxAccount {
    const accountId = options.accountId ?? generateId();
    const apiKey = options.apiKey ?? randomBytes(24).toString('base64url');
    if (!ACCOUNT_ID.test(accountId)) throw new SandboxAccountError('accountId must be 32 alphanumerics');
    if (!/^[\x21-\x7e]+$/.test(apiKey)) throw new SandboxAccountError('apiKey must be printable, no spaces');
    if (this.#byId.has(accountId)) throw new SandboxAccountError(`account ${accountId} already exists`);
    // One key, one account: a key shared by two accounts could not tell which one a caller may use.
    if (this.#byKey.has(apiKey)) throw new SandboxAccountError('that apiKey already belongs to an account');
    const account: SandboxAccount = {
      accountId,
      apiKey,
      store: new UserStore(),
      counts: new RequestCounts(),
    };
    this.#byId.set(accountId, account);
    this.#byKey.set(apiKey, account);
    return account;
  }

  get(accountId: string): SandboxAccount | undefined {
    return this.#byId.get(accountId);
  }

  /** The account whose key the `Authorization` header carries, as a bearer token or bare. */
  authenticated(authorization: string | undefined): SandboxAccount | undefined {
    if (authorization === undefined) return undefined;
    const key = authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : authorization;
    return this.#byKey.get(key);
  }

  all(): SandboxAccount[] {
    return [...this.#byId.values()];
  }
}
