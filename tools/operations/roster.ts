import { type EmployeeData, EmployeeDataSchema } from '../../lambdas/core/events/lifecycle-event.js';
import { InvalidRosterError } from './errors.js';

/** RFC 4180 fields: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[index + 1] === '\n') index += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((cells) => cells.some((cell) => cell.trim() !== ''));
}

function csvRecords(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsvRows(text.replace(/^\uFEFF/, ''));
  if (!header) return [];
  const names = header.map((name) => name.trim());
  return rows.map((cells) => {
    const record: Record<string, string> = {};
    names.forEach((name, column) => {
      const value = cells[column]?.trim();
      // An empty cell is an absent optional field, not an empty string that fails validation.
      if (value) record[name] = value;
    });
    return record;
  });
}

/**
 * Reads the HRIS roster (the active employees) from CSV with a header row or from a JSON array,
 * with the canonical event's field names (employeeId, workEmail, firstName, lastName, optional
 * timezone, extension, externalCallerId). Every row is validated like an event, so what
 * reconcile enqueues is what the worker accepts.
 */
export function parseRoster(text: string, format: 'csv' | 'json'): EmployeeData[] {
  let records: unknown[];
  if (format === 'json') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new InvalidRosterError(['not JSON']);
    }
    if (!Array.isArray(value)) throw new InvalidRosterError(['expected a JSON array of employees']);
    records = value;
  } else {
    records = csvRecords(text);
  }
  const employees: EmployeeData[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  records.forEach((record, index) => {
    const row = format === 'csv' ? `line ${index + 2}` : `item ${index}`;
    const result = EmployeeDataSchema.safeParse(record);
    if (!result.success) {
      for (const issue of result.error.issues) {
        problems.push(`${row}: ${issue.path.join('.') || '(row)'}: ${issue.message}`);
      }
      return;
    }
    if (seen.has(result.data.employeeId)) {
      problems.push(`${row}: employeeId appears twice`);
      return;
    }
    seen.add(result.data.employeeId);
    employees.push(result.data);
  });
  if (problems.length > 0) throw new InvalidRosterError(problems);
  return employees;
}

/** The roster format from the file name: `.json` is JSON, anything else CSV. */
export function rosterFormatOf(path: string): 'csv' | 'json' {
  return path.toLowerCase().endsWith('.json') ? 'json' : 'csv';
}
