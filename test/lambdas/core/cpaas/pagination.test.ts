import { describe, expect, it } from 'vitest';
import { CpaasResponseError } from '../../../../lambdas/core/cpaas/errors.js';
import { type CursorPage, iterateItems, iteratePages } from '../../../../lambdas/core/cpaas/pagination.js';

/** A listing over scripted pages; `asked` records the start key of every fetch. */
function listing(pages: readonly CursorPage<string>[]) {
  const asked: (string | undefined)[] = [];
  const fetchPage = async (startKey: string | undefined) => {
    asked.push(startKey);
    const page = pages[asked.length - 1];
    if (page === undefined) throw new Error('fetched past the last scripted page');
    return page;
  };
  return { asked, fetchPage };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const value of iterable) all.push(value);
  return all;
}

describe('iteratePages', () => {
  it('follows next_start_key to the last page; an empty key ends the listing like an absent one', async () => {
    const { asked, fetchPage } = listing([
      { data: ['a', 'b'], next_start_key: 'k2' },
      { data: ['c'], next_start_key: 'k3' },
      { data: ['d'], next_start_key: '' },
    ]);
    expect(await collect(iterateItems(fetchPage))).toEqual(['a', 'b', 'c', 'd']);
    expect(asked).toEqual([undefined, 'k2', 'k3']);
  });

  it('fetches a page only when the previous one is consumed, so stopping early fetches no more', async () => {
    const { asked, fetchPage } = listing([
      { data: ['a'], next_start_key: 'k2' },
      { data: ['b'], next_start_key: 'k3' },
    ]);
    for await (const item of iterateItems(fetchPage)) if (item === 'a') break;
    expect(asked).toEqual([undefined]);
  });

  it('stops with CpaasResponseError when the API repeats a key, after yielding what it got', async () => {
    const { fetchPage } = listing([
      { data: ['a'], next_start_key: 'k1' },
      { data: ['b'], next_start_key: 'k1' },
    ]);
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const item of iterateItems(fetchPage, { path: '/v1/account/x/user' })) seen.push(item);
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CpaasResponseError);
    expect(failure).toMatchObject({ method: 'GET', path: '/v1/account/x/user', permanent: false });
    expect(seen).toEqual(['a', 'b']);
  });

  it('stops with CpaasResponseError past maxPages, even when every key is new', async () => {
    let n = 0;
    const endless = async () => ({ data: [n], next_start_key: `k${++n}` });
    const pages = await collect(iteratePages(endless, { maxPages: 3 })).catch((error: unknown) => error);
    expect(pages).toBeInstanceOf(CpaasResponseError);
    expect(n).toBe(3);
  });
});
