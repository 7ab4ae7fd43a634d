import { CpaasResponseError } from './errors.js';

/** A page of a CPaaS list endpoint: its items and, on every page but the last, the next page's key. */
export interface CursorPage<Item> {
  readonly data: readonly Item[];
  readonly next_start_key?: string | undefined;
}

/** Fetches the page that starts at `startKey`; `undefined` asks for the first page. */
export type PageFetcher<Page> = (startKey: string | undefined) => Promise<Page>;

export interface PaginationOptions {
  /** The list's request path, for the error when a listing is stopped. */
  readonly path?: string;
  /** Pages one listing may fetch before it is stopped (default `DEFAULT_MAX_PAGES`). */
  readonly maxPages?: number;
}

/** 500,000 users at the largest page size: far beyond an account, well short of forever. */
export const DEFAULT_MAX_PAGES = 10_000;

/**
 * Every page of a `start_key` / `next_start_key` listing, fetched only when the previous one has
 * been consumed, so a caller that stops early (found what it looked for) fetches no more. The one
 * paging loop of the project: a key the API already sent, or more than `maxPages` pages, raises
 * `CpaasResponseError` instead of paging for ever (transient for the worker, like any bad answer).
 * An empty `next_start_key` ends the listing like an absent one.
 */
export async function* iteratePages<Page extends CursorPage<unknown>>(
  fetchPage: PageFetcher<Page>,
  options: PaginationOptions = {},
): AsyncGenerator<Page, void, undefined> {
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  const request = { method: 'GET', ...(options.path === undefined ? {} : { path: options.path }) };
  const seen = new Set<string>();
  let startKey: string | undefined;
  for (let fetched = 1; ; fetched += 1) {
    const page = await fetchPage(startKey);
    yield page;
    startKey = page.next_start_key || undefined;
    if (startKey === undefined) return;
    if (seen.has(startKey)) {
      throw new CpaasResponseError(
        'CPaaS API repeated next_start_key while paging; stopped to avoid a loop',
        request,
      );
    }
    if (fetched >= maxPages) {
      throw new CpaasResponseError(
        `CPaaS API still had pages after ${maxPages}; stopped to avoid a loop`,
        request,
      );
    }
    seen.add(startKey);
  }
}

/** The items of every page of a listing, in order: `iteratePages` flattened, with its guard. */
export async function* iterateItems<Item>(
  fetchPage: PageFetcher<CursorPage<Item>>,
  options: PaginationOptions = {},
): AsyncGenerator<Item, void, undefined> {
  for await (const page of iteratePages(fetchPage, options)) yield* page.data;
}
