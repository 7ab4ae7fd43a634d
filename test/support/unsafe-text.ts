import { unsafeTextReason } from '../../lambdas/core/events/clean-text.js';

/** What the outside probe sent, plus the rest of each class the rule covers. */
export const UNSAFE_SAMPLES: Record<string, string> = {
  NUL: 'Ada\u0000Evil',
  BEL: 'Bell\u0007',
  'ANSI clear screen': '\u001b[2J',
  newline: 'Bell\nInjected',
  'carriage return': 'a\rb',
  tab: 'a\tb',
  DEL: 'a\u007fb',
  'C1 NEL': 'a\u0085b',
  'U+FFFF': 'a\uffffb',
  'U+FFFE': '\ufffe',
  'plane-1 noncharacter': 'a\u{1fffe}',
  'U+FDD0': '\ufdd0',
  'lone high surrogate': 'a\ud800b',
  'lone low surrogate': '\udc00',
  'line separator': 'a\u2028b',
  'paragraph separator': 'a\u2029b',
  'right-to-left override': 'evil\u202etxt.exe',
  'first strong isolate': '\u2068x',
};

/** Real names the rule must keep accepting. */
export const SAFE_NAMES = [
  'Ada',
  'Zoë',
  "O'Brien-Smith",
  'Łukasz',
  '李小龍',
  'محمد',
  'שרה',
  'José María',
  'Nguyễn',
  '🦊 Fox',
  'क्षत्रिय',
];

/** The unsafe characters a terminal would get from `output`, line by line: empty when it is safe to show. */
export function unsafeLinesOf(output: string): string[] {
  return output.split('\n').flatMap((line) => unsafeTextReason(line) ?? []);
}
