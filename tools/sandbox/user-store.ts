import type { User, UserInput } from '../../lambdas/core/cpaas/schemas.js';
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
  /** Insertion sequence per id: page keys point at a position, so deleting a user mid-walk skips or repeats no one. */
  readonly #sequence = new Map<string, number>();
  #nextSequence = 1;

  clear(): void {
    this.#byId.clear();
    this.#idByEmail.clear();
    this.#sequence.clear();
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
    this.#insert(user, email);
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
    this.#sequence.delete(id);
    if (user.email !== undefined) this.#idByEmail.delete(user.email.toLowerCase());
    return { ok: true, user };
  }

  /**
   * One page after `startKey`. The key is the insertion position of the previous page's last user
   * (base64url), so users created or deleted during a walk shift nothing already seen. Returns
   * undefined for a key this store did not issue.
   */
  page(startKey: string | undefined, pageSize: number): StorePage | undefined {
    let after = 0;
    if (startKey !== undefined) {
      const text = Buffer.from(startKey, 'base64url').toString('utf8');
      if (!/^p\d+$/.test(text)) return undefined;
      after = Number(text.slice(1));
    }
    const users: User[] = [];
    let lastSequence = after;
    let more = false;
    for (const [id, user] of this.#byId) {
      const sequence = this.#sequence.get(id) ?? 0;
      if (sequence <= after) continue;
      if (users.length === pageSize) {
        more = true;
        break;
      }
      users.push(user);
      lastSequence = sequence;
    }
    return more
      ? { users, nextStartKey: Buffer.from(`p${lastSequence}`, 'utf8').toString('base64url') }
      : { users };
  }

  #insert(user: User, email: string): void {
    this.#byId.set(user.id, user);
    this.#idByEmail.set(email, user.id);
    this.#sequence.set(user.id, this.#nextSequence);
    this.#nextSequence += 1;
  }

  /** Bulk insert for load tests: builds documents directly, no per-user validation. */
  seed(count: number, emailDomain: string): void {
    const start = this.#byId.size;
    for (let i = 0; i < count; i += 1) {
      const n = start + i;
      const email = `seed.user${n}@${emailDomain}`;
      if (this.#idByEmail.has(email)) continue;
      this.#insert(
        { id: generateId(), email, first_name: `Seed${n}`, last_name: 'User', enabled: true, verified: true },
        email,
      );
    }
  }
}
