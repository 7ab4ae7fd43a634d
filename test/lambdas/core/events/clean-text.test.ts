import { describe, expect, it } from 'vitest';
import {
  escapeUnsafeText,
  unsafeIdReason,
  unsafeTextReason,
} from '../../../../lambdas/core/events/clean-text.js';
import { SAFE_NAMES, UNSAFE_SAMPLES } from '../../../support/unsafe-text.js';

describe('unsafeTextReason', () => {
  it('accepts names in every script, with spaces, marks, joiners and emoji', () => {
    for (const name of [...SAFE_NAMES, 'a\u200db', 'e\u0301'])
      expect(unsafeTextReason(name), name).toBeUndefined();
  });

  it('rejects each class of unsafe character, naming the code point and where it is', () => {
    for (const [label, text] of Object.entries(UNSAFE_SAMPLES)) {
      expect(unsafeTextReason(text), label).toMatch(
        /^must not contain .* \(U\+[0-9A-F]{4,5} at index \d+\)$/,
      );
    }
    expect(unsafeTextReason('Ada\u0000Evil')).toContain('U+0000 at index 3');
    expect(unsafeTextReason('a\u{1fffe}')).toContain('U+1FFFE at index 1');
  });
});

describe('unsafeIdReason', () => {
  it('accepts printable ids and rejects whitespace of any kind as well as unsafe characters', () => {
    for (const id of ['msg_2b8f', 'a1b2c3', 'E-1001', 'ü-7', 'merge:Employee.added:x']) {
      expect(unsafeIdReason(id), id).toBeUndefined();
    }
    for (const id of ['has space', 'nbsp\u00a0x', 'ideographic\u3000space']) {
      expect(unsafeIdReason(id), id).toMatch(/^must be printable characters without whitespace/);
    }
    expect(unsafeIdReason('x\nhandled  employee.terminated employee CEO')).toContain('U+000A at index 1');
  });
});

describe('escapeUnsafeText', () => {
  it('turns every unsafe character into a visible escape and leaves the rest alone', () => {
    expect(escapeUnsafeText('Bell\u0007\u001b[2J\nInjected')).toBe('Bell\\u0007\\u001B[2J\\u000AInjected');
    expect(escapeUnsafeText('a\ud800b\u{1ffff}')).toBe('a\\uD800b\\uD83F\\uDFFF');
    for (const name of SAFE_NAMES) expect(escapeUnsafeText(name)).toBe(name);
    for (const text of Object.values(UNSAFE_SAMPLES)) {
      expect(unsafeTextReason(escapeUnsafeText(text))).toBeUndefined();
    }
  });
});
