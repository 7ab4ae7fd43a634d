/**
 * Each command group's one-line summary, as plain data: the top-level `--help` lists them without
 * loading a single command module, and each group's own file reads its summary from here.
 */
export const COMMAND_SUMMARIES = {
  send: 'Sign canonical events (JSON, JSON array or JSON Lines) per Standard Webhooks and POST them.',
  dlq: 'Inspect, redrive or purge the dead-letter queue.',
  holds: 'List, release or discard terminations held by the deletion brake.',
  local: 'Run moto_server, the CPaaS sandbox, the ingest endpoint, the worker and the sweep on this machine.',
  reconcile: 'Compare the HRIS roster with the CPaaS users and the state table; --apply enqueues the fixes.',
  plan: 'Show what the worker would do for one event (match -> steps -> API calls -> decision), touching nothing.',
  users: 'List, read, create, update, delete or impersonate CPaaS VoIP users.',
  tenants: 'Onboard, list, show, change or remove tenants (one per CPaaS account served by this deployment).',
  scim: 'Create or rotate the SCIM bearer token identity providers (Entra ID, Okta) send.',
  gusto:
    'Finish a Gusto webhook subscription: verify the token Gusto posted and store it as the signing secret.',
  sandbox: 'Run the CPaaS VoIP User API sandbox (test double with fault injection) on 127.0.0.1.',
  soak: 'Drive a seeded HR history through the local pipeline with injected CPaaS faults and check the result.',
  bench:
    'Measure throughput, API and secret calls, cold start, memory, cost per event, revoke and SCIM latency, tenants.',
} as const;

export type CommandName = keyof typeof COMMAND_SUMMARIES;
