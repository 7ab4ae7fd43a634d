import type { User, UserInput } from '../cpaas/schemas.js';
import { generateId } from './random.js';

/** Why a write was refused; the server maps it to the vendor's error body. */
export type StoreRefusal = 'notFound' | 'duplicateEmail';
export type StoreResult = { ok: true; user: User } | { ok: false; reason: StoreRefusal };

export interface StorePage {
  readonly users: User[];
  readonly nextStartKey?: string;
}

/**
 * The sandbox's one account of users. Users are kept in a Map by id (insertion order is the list
 * order, so pages stay stable while users are added) and a Map by lowercased email, so duplicate
 * checks and lookups stay O(1) with 10,000 users.
 */
export class UserStore {
  readonly #byId = new Map<string, User>();
  readonly #idByEmail = new Map<string, string>();

  clear(): void {
    this.#byId.clear();
    this.#idByEmail.clear();
  }

  all(): User[] {
    return [...this.#byId.values()].map((user) => structuredClone(user));
  }

  get(id: string): User | undefined {
    const user = this.#byId.get(id);
    return user === undefined ? undefined : structuredClone(user);
  }

  create(input: UserInput): StoreResult {
    const email = input.email.toLowerCase();
    if (this.#idByEmail.has(email)) return { ok: false, reason: 'duplicateEmail' };
    const user: User = { ...structuredClone(input), id: generateId() };
    this.#byId.set(user.id, user);
    this.#idByEmail.set(email, user.id);
    return { ok: true, user: structuredClone(user) };
  }

  /** PUT semantics: the stored document becomes exactly `input` plus the id. */
  replace(id: string, input: UserInput): StoreResult {
    const current = this.#byId.get(id);
    if (current === undefined) return { ok: false, reason: 'notFound' };
    const email = input.email.toLowerCase();
    const owner = this.#idByEmail.get(email);
    if (owner !== undefined && owner !== id) return { ok: false, reason: 'duplicateEmail' };
    const user: User = { ...structuredClone(input), id };
    if (current.email !== undefined) this.#idByEmail.delete(current.email.toLowerCase());
    this.#byId.set(id, user);
    this.#idByEmail.set(email, id);
    return { ok: true, user: structuredClone(user) };
  }

  delete(id: string): StoreResult {
    const user = this.#byId.get(id);
    if (user === undefined) return { ok: false, reason: 'notFound' };
    this.#byId.delete(id);
    if (user.email !== undefined) this.#idByEmail.delete(user.email.toLowerCase());
    return { ok: true, user };
  }

  /**
   * One page after `startKey`. The key encodes the last id of the previous page (base64url), so a
   * page stays correct when users are created meanwhile; if that user was deleted the walk restarts
   * after nothing rather than failing. Returns undefined for a key this store did not issue.
   */
  page(startKey: string | undefined, pageSize: number): StorePage | undefined {
    let afterId: string | undefined;
    if (startKey !== undefined) {
      afterId = Buffer.from(startKey, 'base64url').toString('utf8');
      if (!/^[A-Za-z0-9]{32}$/.test(afterId)) return undefined;
    }
    const users: User[] = [];
    let skipping = afterId !== undefined && this.#byId.has(afterId);
    let more = false;
    for (const [id, user] of this.#byId) {
      if (skipping) {
        if (id === afterId) skipping = false;
        continue;
      }
      if (users.length === pageSize) {
        more = true;
        break;
      }
      users.push(user);
    }
    const last = users.at(-1);
    return more && last !== undefined
      ? { users, nextStartKey: Buffer.from(last.id, 'utf8').toString('base64url') }
      : { users };
  }

  /** Bulk insert for load tests: builds documents directly, no per-user validation. */
  seed(count: number, emailDomain: string): void {
    const start = this.#byId.size;
    for (let i = 0; i < count; i += 1) {
      const n = start + i;
      const email = `seed.user${n}@${emailDomain}`;
      if (this.#idByEmail.has(email)) continue;
      const id = generateId();
      this.#byId.set(id, {
        id,
        email,
        first_name: `Seed${n}`,
        last_name: 'User',
        enabled: true,
        verified: true,
      });
      this.#idByEmail.set(email, id);
    }
  }
}
