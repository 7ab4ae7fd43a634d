/**
 * The one rule for text that leaves the project: names, emails, ids and time zones go to the VoIP
 * API, into logs and onto an operator's terminal, so none of them may carry characters that move
 * the cursor, end a line, reorder what is shown, or cannot be encoded.
 *
 * Unsafe, by Unicode property so the rule does not drift with hand-kept ranges:
 * - `Cc` controls (C0, DEL, C1): NUL, BEL, ESC sequences, CR and LF forge log lines and clear screens;
 * - `Cs` lone surrogates: not text, and no UTF-8 encoder can write them;
 * - noncharacters (U+FFFE, U+FFFF, U+FDD0..U+FDEF and the last two of every plane);
 * - U+2028 / U+2029, which some terminals and every JavaScript parser treat as line ends;
 * - the bidirectional embedding, override and isolate controls (U+202A..U+202E, U+2066..U+2069),
 *   which make a terminal show text in an order other than the stored one ("Trojan Source").
 * Letters of every script, combining marks, emoji and joiners stay allowed.
 */
const UNSAFE_CHARACTER = /[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;
const UNSAFE_CHARACTERS = new RegExp(UNSAFE_CHARACTER.source, 'gu');

/** Whitespace of any kind, which an id must not have: ids are single tokens in every log line. */
const WHITESPACE = /\s/u;

function codePointLabel(character: string): string {
  return `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Why `text` may not leave the project, or undefined when it may: names the first offending code
 * point and where it is (UTF-16 index), so a sender can find it in the field.
 */
export function unsafeTextReason(text: string): string | undefined {
  const match = UNSAFE_CHARACTER.exec(text);
  if (match === null) return undefined;
  return `must not contain control, line-separator or bidirectional-override characters (${codePointLabel(match[0])} at index ${match.index})`;
}

/** Like `unsafeTextReason`, for ids: printable and no whitespace at all. */
export function unsafeIdReason(text: string): string | undefined {
  const unsafe = unsafeTextReason(text);
  if (unsafe !== undefined) return unsafe;
  const whitespace = WHITESPACE.exec(text);
  if (whitespace === null) return undefined;
  return `must be printable characters without whitespace (${codePointLabel(whitespace[0])} at index ${whitespace.index})`;
}

/**
 * Text as a terminal may show it: every unsafe character becomes a visible `\uXXXX` escape (a
 * surrogate pair beyond the BMP), which is also a valid JSON and JavaScript string escape, so
 * escaping JSON output keeps it JSON. For human-readable output only; values from the CPaaS API
 * or a dead letter are not bound by the event schema, so they are escaped when shown.
 */
export function escapeUnsafeText(text: string): string {
  return text.replace(UNSAFE_CHARACTERS, (character) =>
    Array.from(
      { length: character.length },
      (_, index) => `\\u${character.charCodeAt(index).toString(16).toUpperCase().padStart(4, '0')}`,
    ).join(''),
  );
}

/**
 * Multi-line text for a terminal: the line breaks the caller wrote stay, every other unsafe
 * character is escaped. The backstop at an output sink; a value from outside is still passed
 * through `escapeUnsafeText` where it is put into a line, so its own line breaks cannot start one.
 */
export function escapeUnsafeLines(text: string): string {
  return text.split('\n').map(escapeUnsafeText).join('\n');
}
