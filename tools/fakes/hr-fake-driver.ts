import type { HrApiSource } from '../../lambdas/contract/settings.js';
import type { FaultSpec } from '../sandbox/faults.js';
import { sendBambooHrWebhook } from './bamboohr/server.js';
import { gustoEmployeeEvent, sendGustoWebhook } from './gusto/server.js';
import { hiBobEventBody, sendHiBobWebhook } from './hibob/server.js';
import { personioNotification, sendPersonioWebhook } from './personio/server.js';

/** A person in the project's terms; each provider's driver writes it in that provider's own fields. */
export interface FakePerson {
  readonly workEmail: string;
  readonly firstName: string;
  readonly lastName: string;
  /** Stored as the provider records a leaver (BambooHR: status Inactive; HiBob: lifecycle terminated). */
  readonly terminated?: boolean;
}

/** What the provider's webhook says happened; the fetched record decides the rest. */
export type FakeChange = 'hired' | 'changed' | 'terminated';

/** One source as the local mode's ready line gives it (`sources.<name>`). */
export interface FakeSourceEndpoints {
  readonly webhookUrl: string;
  readonly webhookSecret: string;
  readonly controlUrl: string;
}

/** What a fake's control routes need: the common `/_fake` routes of every fake. */
export type FakeControl = Pick<FakeSourceEndpoints, 'controlUrl'>;

/**
 * How anyone with the ready line drives one provider's fake, over HTTP only, so the local-mode
 * tests and the bench treat every source alike: who exists at the API, and the webhook the
 * provider would send (signed as it signs). Faults and request counts are the common control
 * routes (`handleFakeControl`), shared by every fake.
 */
export interface HrFakeDriver {
  /** The person in the provider's own fields, for `PUT <controlUrl>/employees/{id}`. */
  toProviderFields(person: FakePerson): Record<string, unknown>;
  /** Sends the webhook the provider sends for `change` of `employeeId`, signed with `secret`. */
  sendWebhook(
    source: Pick<FakeSourceEndpoints, 'webhookUrl' | 'webhookSecret'>,
    change: FakeChange,
    employeeId: string,
    secret?: string,
  ): Promise<Response>;
}

/** The notification Personio sends for each change (a termination fires on its effective date). */
const PERSONIO_EVENT_FOR: Readonly<Record<FakeChange, string>> = {
  hired: 'person.created',
  changed: 'person.updated',
  terminated: 'employment.terminated',
};

/** Each provider's driver: the one place a new provider's fake is described to the tests and the bench. */
export const HR_FAKE_DRIVERS: { readonly [Source in HrApiSource]: HrFakeDriver } = {
  bamboohr: {
    toProviderFields: (person) => ({
      workEmail: person.workEmail,
      firstName: person.firstName,
      lastName: person.lastName,
      status: person.terminated === true ? 'Inactive' : 'Active',
    }),
    sendWebhook: (source, change, employeeId, secret = source.webhookSecret) =>
      sendBambooHrWebhook(source.webhookUrl, secret, {
        type: change === 'hired' ? 'employee.created' : 'employee.updated',
        timestamp: new Date().toISOString(),
        data: {
          companyId: 1,
          employeeId,
          changedFields: change === 'terminated' ? ['status'] : ['firstName'],
        },
      }),
  },
  hibob: {
    toProviderFields: (person) => ({
      email: person.workEmail,
      firstName: person.firstName,
      surname: person.lastName,
      internal:
        person.terminated === true
          ? { status: 'Inactive', lifecycleStatus: 'terminated', terminationDate: '2020-01-31' }
          : { status: 'Active', lifecycleStatus: 'employed', terminationDate: null },
    }),
    // A termination reaches HiBob listeners as `employee.left` on its effective date.
    sendWebhook: (source, change, employeeId, secret = source.webhookSecret) =>
      sendHiBobWebhook(
        source.webhookUrl,
        secret,
        change === 'hired'
          ? hiBobEventBody('employee.created', employeeId)
          : change === 'changed'
            ? hiBobEventBody('employee.updated', employeeId, {
                fieldUpdates: [{ fieldId: 'root.firstName' }],
              })
            : hiBobEventBody('employee.left', employeeId),
      ),
  },
  personio: {
    toProviderFields: (person) => ({
      email: person.workEmail,
      first_name: person.firstName,
      last_name: person.lastName,
      status: person.terminated === true ? 'INACTIVE' : 'ACTIVE',
    }),
    sendWebhook: (source, change, employeeId, secret = source.webhookSecret) =>
      sendPersonioWebhook(
        source.webhookUrl,
        secret,
        personioNotification(PERSONIO_EVENT_FOR[change], employeeId),
      ),
  },
  gusto: {
    toProviderFields: (person) => ({
      work_email: person.workEmail,
      first_name: person.firstName,
      last_name: person.lastName,
      terminated: person.terminated === true,
      terminations:
        person.terminated === true
          ? [{ effective_date: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10) }]
          : [],
    }),
    sendWebhook: (source, change, employeeId, secret = source.webhookSecret) =>
      sendGustoWebhook(
        source.webhookUrl,
        secret,
        gustoEmployeeEvent(
          {
            hired: 'employee.created',
            changed: 'employee.updated',
            terminated: 'employee.terminated_effective',
          }[change],
          employeeId,
        ),
      ),
  },
};

async function control(url: string, init: RequestInit): Promise<unknown> {
  const response = await fetch(url, {
    ...init,
    headers: { 'content-type': 'application/json' },
  });
  if (!response.ok) throw new Error(`${init.method} ${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Sets who exists at a fake's API, in the provider's fields. */
export async function putFakePerson(
  source: HrApiSource,
  endpoints: FakeControl,
  employeeId: string,
  person: FakePerson,
): Promise<void> {
  await control(`${endpoints.controlUrl}/employees/${encodeURIComponent(employeeId)}`, {
    method: 'PUT',
    body: JSON.stringify(HR_FAKE_DRIVERS[source].toProviderFields(person)),
  });
}

/** Removes a person from a fake's API: its next fetch answers 404, as for a deleted record. */
export async function deleteFakePerson(endpoints: FakeControl, employeeId: string): Promise<void> {
  await control(`${endpoints.controlUrl}/employees/${encodeURIComponent(employeeId)}`, { method: 'DELETE' });
}

/** Makes a fake's API misbehave (every route: `*`) until `clearFakeFaults`. */
export async function setFakeFaults(endpoints: FakeControl, spec: FaultSpec, route = '*'): Promise<void> {
  await control(`${endpoints.controlUrl}/faults`, { method: 'PUT', body: JSON.stringify({ route, spec }) });
}

export async function clearFakeFaults(endpoints: FakeControl): Promise<void> {
  await control(`${endpoints.controlUrl}/faults`, { method: 'DELETE' });
}

/** The API requests a fake has received, faulted ones included. */
export async function fakeApiRequests(endpoints: FakeControl): Promise<number> {
  const body = (await control(`${endpoints.controlUrl}/requests`, { method: 'GET' })) as { total: number };
  return body.total;
}
