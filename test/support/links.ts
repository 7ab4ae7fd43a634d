import type { SaveOptions } from '../../lambdas/core/state/employee-state.js';
import type { EmployeeLink, StateStore } from '../../lambdas/core/state/state-store.js';

/**
 * Writes a link as the worker does for the event it names (`lastEventId`, `lastEventTime`): read,
 * then one conditional save. False when the save was refused (a newer event is recorded).
 */
export async function saveLink(
  store: StateStore,
  link: EmployeeLink,
  options?: SaveOptions,
): Promise<boolean> {
  const state = await store.begin(
    link.employeeKey,
    { id: link.lastEventId, time: link.lastEventTime },
    Date.now() + 30_000,
  );
  try {
    return await state.save(link, options);
  } finally {
    await state.close();
  }
}

/**
 * `store` with its `begin` replaced and every other method passed through: for a test that holds,
 * fails or inspects the state an event opens, with everything else the real table.
 */
export function withBegin(store: StateStore, begin: StateStore['begin']): StateStore {
  return {
    begin,
    getLink: (key) => store.getLink(key),
    isProcessed: (key, eventId) => store.isProcessed(key, eventId),
    listLinks: () => store.listLinks(),
  };
}
