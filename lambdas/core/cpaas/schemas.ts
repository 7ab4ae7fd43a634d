import * as z from '../validation/zod.js';

/**
 * zod schemas for the CPaaS VoIP User API (White Label Communications CPaaS API 1.1), written from
 * the vendor's OpenAPI document. Shared by the client (validate before sending, parse after
 * receiving) and the sandbox (validate what it receives), so both speak one contract.
 *
 * Response objects are `looseObject`s: fields this project does not know survive a parse, so an
 * update can write back everything it read.
 */

/** Account and user ids: 32 alphanumeric characters, checked before they go into a URL path. */
export const CpaasIdSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9]{32}$/, 'must be 32 alphanumeric characters'));

export const CallForwardSchema = z.looseObject({
  enabled: z.optional(z.boolean()),
  number: z.optional(z.string().check(z.maxLength(35))),
});

export const CallRecordingParametersSchema = z.looseObject({
  enabled: z.optional(z.boolean()),
  format: z.optional(z.enum(['mp3', 'wav'])),
  record_min_sec: z.optional(z.number().check(z.int())),
  record_on_answer: z.optional(z.boolean()),
  record_on_bridge: z.optional(z.boolean()),
  record_sample_rate: z.optional(z.number().check(z.int())),
  time_limit: z.optional(z.number().check(z.int(), z.gte(5), z.lte(10800))),
  url: z.optional(z.string()),
});

export const CallRecordingSourceSchema = z.looseObject({
  any: z.optional(CallRecordingParametersSchema),
  offnet: z.optional(CallRecordingParametersSchema),
  onnet: z.optional(CallRecordingParametersSchema),
});

export const CallRecordingSettingsSchema = z.looseObject({
  any: z.optional(CallRecordingSourceSchema),
  inbound: z.optional(CallRecordingSourceSchema),
  outbound: z.optional(CallRecordingSourceSchema),
});

const CallerIdNumberSchema = z.looseObject({ number: z.optional(z.string()) });

export const CallerIdSchema = z.looseObject({
  emergency: z.optional(CallerIdNumberSchema),
  external: z.optional(CallerIdNumberSchema),
  internal: z.optional(CallerIdNumberSchema),
});

export const DoNotDisturbSchema = z.looseObject({ enabled: z.optional(z.boolean()) });

export const MusicOnHoldSchema = z.looseObject({ media_id: z.optional(z.string().check(z.maxLength(128))) });

/** Settings a user document may carry beyond email and names; shared by input and output shapes. */
const userSettingsFields = {
  enabled: z.optional(z.boolean()),
  verified: z.optional(z.boolean()),
  timezone: z.optional(z.string()),
  presence_id: z.optional(z.string()),
  caller_id: z.optional(CallerIdSchema),
  call_forward: z.optional(CallForwardSchema),
  call_recording: z.optional(CallRecordingSettingsSchema),
  do_not_disturb: z.optional(DoNotDisturbSchema),
  music_on_hold: z.optional(MusicOnHoldSchema),
};

/** `service.VOIPUserAdd2`: the body of create (POST) and update (PUT). PUT replaces the whole user. */
export const UserInputSchema = z.looseObject({
  email: z.string().check(z.minLength(3), z.maxLength(254)),
  first_name: z.string().check(z.maxLength(128)),
  last_name: z.string().check(z.maxLength(128)),
  ...userSettingsFields,
});

/** `models.UserOutputFull`: what get, create, update and delete return in `data`. */
export const UserSchema = z.looseObject({
  id: z.string(),
  email: z.optional(z.string()),
  first_name: z.optional(z.string()),
  last_name: z.optional(z.string()),
  ...userSettingsFields,
});

/** `service.UserOutputShort`: one row of the list endpoint (no timezone, caller id or forwarding). */
export const UserSummarySchema = z.looseObject({
  id: z.string(),
  email: z.optional(z.string()),
  first_name: z.optional(z.string()),
  last_name: z.optional(z.string()),
  enabled: z.optional(z.boolean()),
  presence_id: z.optional(z.string()),
  features: z.optional(z.array(z.string())),
  flags: z.optional(z.array(z.string())),
  call_recording: z.optional(CallRecordingSettingsSchema),
  do_not_disturb: z.optional(DoNotDisturbSchema),
});

/** `service.DocsUserGetSingle` */
export const UserEnvelopeSchema = z.looseObject({
  status_code: z.optional(z.number().check(z.int())),
  request_id: z.optional(z.string()),
  data: UserSchema,
});

/** `service.DocsUserGetAll`: `next_start_key` is absent on the last page. */
export const UserPageEnvelopeSchema = z.looseObject({
  status_code: z.optional(z.number().check(z.int())),
  request_id: z.optional(z.string()),
  data: z.array(UserSummarySchema),
  page_size: z.optional(z.number().check(z.int())),
  start_key: z.optional(z.string()),
  next_start_key: z.optional(z.string()),
});

/** `service.VOIPImpersonateUser` */
export const ImpersonateRequestSchema = z.looseObject({
  action: z.literal('impersonate_user'),
  data: z.optional(z.record(z.string(), z.unknown())),
});

/** `service.DocsImpersonateUserGetSingle` */
export const ImpersonateEnvelopeSchema = z.looseObject({
  status_code: z.optional(z.number().check(z.int())),
  request_id: z.optional(z.string()),
  data: z.looseObject({ auth_token: z.string() }),
});

/** `CPAASError`: the vendor's error body. */
export const CpaasErrorBodySchema = z.looseObject({
  status_code: z.optional(z.number().check(z.int())),
  error_code: z.optional(z.number().check(z.int())),
  message: z.optional(z.string()),
  errors: z.optional(z.array(z.unknown())),
});

/** Page size bounds of the list endpoint. */
export const PAGE_SIZE_MIN = 1;
export const PAGE_SIZE_MAX = 50;

export const ListUsersParamsSchema = z.object({
  startKey: z.optional(z.string().check(z.minLength(1))),
  pageSize: z.optional(z.number().check(z.int(), z.gte(PAGE_SIZE_MIN), z.lte(PAGE_SIZE_MAX))),
});

export type CpaasId = z.infer<typeof CpaasIdSchema>;
export type UserInput = z.infer<typeof UserInputSchema>;
export type User = z.infer<typeof UserSchema>;
export type UserSummary = z.infer<typeof UserSummarySchema>;
export type UserPage = z.infer<typeof UserPageEnvelopeSchema>;
export type CpaasErrorBody = z.infer<typeof CpaasErrorBodySchema>;
export type ListUsersParams = z.infer<typeof ListUsersParamsSchema>;
