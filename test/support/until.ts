/**
 * Polls `probe` until it gives a value (anything but `undefined` or `false`) and resolves to it.
 * Tests wait for the condition they assert, never for a fixed time, so they pass on a busy
 * machine; the timeout only bounds a hang and names what never happened.
 */
export async function until<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 45_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
