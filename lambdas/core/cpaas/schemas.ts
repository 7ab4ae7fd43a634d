import { z } from 'zod';

/**
 * zod schemas for the CPaaS VoIP User API (White Label Communications CPaaS API 1.1), written from
 * the vendor's OpenAPI document. Shared by the client (validate before sending, parse after
 * receiving) and the sandbox (validate what it receives), so both speak one contract.
 *
 * Response objects are `looseObject`s: fields this project does not know survive a parse, so an
 * update can write back everything it read.
 */

/** Account and user ids: 32 alphanumeric characters, checked before they go into a URL path. */
export const CpaasIdSchema = z.string().regex(/^[A-Za-z0-9]{32}$/, 'must be 32 alphanumeric characters');

export const CallForwardSchema = z.looseObject({
  enabled: z.boolean().optional(),
  number: z.string().max(35).optional(),
});

export const CallRecordingParametersSchema = z.looseObject({
  enabled: z.boolean().optional(),
  format: z.enum(['mp3', 'wav']).optional(),
  record_min_sec: z.number().int().optional(),
  record_on_answer: z.boolean().optional(),
  record_on_bridge: z.boolean().optional(),
  record_sample_rate: z.number().int().optional(),
  time_limit: z.number().int().min(5).max(10800).optional(),
  url: z.string().optional(),
});

export const CallRecordingSourceSchema = z.looseObject({
  any: CallRecordingParametersSchema.optional(),
  offnet: CallRecordingParametersSchema.optional(),
  onnet: CallRecordingParametersSchema.optional(),
});

export const CallRecordingSettingsSchema = z.looseObject({
  any: CallRecordingSourceSchema.optional(),
  inbound: CallRecordingSourceSchema.optional(),
  outbound: CallRecordingSourceSchema.optional(),
});

const CallerIdNumberSchema = z.looseObject({ number: z.string().optional() });

export const CallerIdSchema = z.looseObject({
  emergency: CallerIdNumberSchema.optional(),
  external: CallerIdNumberSchema.optional(),
  internal: CallerIdNumberSchema.optional(),
});

export const DoNotDisturbSchema = z.looseObject({ enabled: z.boolean().optional() });

export const MusicOnHoldSchema = z.looseObject({ media_id: z.string().max(128).optional() });

/** Settings a user document may carry beyond email and names; shared by input and output shapes. */
const userSettingsFields = {
  enabled: z.boolean().optional(),
  verified: z.boolean().optional(),
  timezone: z.string().optional(),
  presence_id: z.string().optional(),
  caller_id: CallerIdSchema.optional(),
  call_forward: CallForwardSchema.optional(),
  call_recording: CallRecordingSettingsSchema.optional(),
  do_not_disturb: DoNotDisturbSchema.optional(),
  music_on_hold: MusicOnHoldSchema.optional(),
};

/** `service.VOIPUserAdd2`: the body of create (POST) and update (PUT). PUT replaces the whole user. */
export const UserInputSchema = z.looseObject({
  email: z.string().min(3).max(254),
  first_name: z.string().max(128),
  last_name: z.string().max(128),
  ...userSettingsFields,
});

/** `models.UserOutputFull`: what get, create, update and delete return in `data`. */
export const UserSchema = z.looseObject({
  id: z.string(),
  email: z.string().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  ...userSettingsFields,
});

/** `service.UserOutputShort`: one row of the list endpoint (no timezone, caller id or forwarding). */
export const UserSummarySchema = z.looseObject({
  id: z.string(),
  email: z.string().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  enabled: z.boolean().optional(),
  presence_id: z.string().optional(),
  features: z.array(z.string()).optional(),
  flags: z.array(z.string()).optional(),
  call_recording: CallRecordingSettingsSchema.optional(),
  do_not_disturb: DoNotDisturbSchema.optional(),
});

/** `service.DocsUserGetSingle` */
export const UserEnvelopeSchema = z.looseObject({
  status_code: z.number().int().optional(),
  request_id: z.string().optional(),
  data: UserSchema,
});

/** `service.DocsUserGetAll`: `next_start_key` is absent on the last page. */
export const UserPageEnvelopeSchema = z.looseObject({
  status_code: z.number().int().optional(),
  request_id: z.string().optional(),
  data: z.array(UserSummarySchema),
  page_size: z.number().int().optional(),
  start_key: z.string().optional(),
  next_start_key: z.string().optional(),
});

/** `service.VOIPImpersonateUser` */
export const ImpersonateRequestSchema = z.looseObject({
  action: z.literal('impersonate_user'),
  data: z.record(z.string(), z.unknown()).optional(),
});

/** `service.DocsImpersonateUserGetSingle` */
export const ImpersonateEnvelopeSchema = z.looseObject({
  status_code: z.number().int().optional(),
  request_id: z.string().optional(),
  data: z.looseObject({ auth_token: z.string() }),
});

/** `CPAASError`: the vendor's error body. */
export const CpaasErrorBodySchema = z.looseObject({
  status_code: z.number().int().optional(),
  error_code: z.number().int().optional(),
  message: z.string().optional(),
  errors: z.array(z.unknown()).optional(),
});

/** Page size bounds of the list endpoint. */
export const PAGE_SIZE_MIN = 1;
export const PAGE_SIZE_MAX = 50;

export const ListUsersParamsSchema = z.object({
  startKey: z.string().min(1).optional(),
  pageSize: z.number().int().min(PAGE_SIZE_MIN).max(PAGE_SIZE_MAX).optional(),
});

export type CpaasId = z.infer<typeof CpaasIdSchema>;
export type UserInput = z.infer<typeof UserInputSchema>;
export type User = z.infer<typeof UserSchema>;
export type UserSummary = z.infer<typeof UserSummarySchema>;
export type UserPage = z.infer<typeof UserPageEnvelopeSchema>;
export type CpaasErrorBody = z.infer<typeof CpaasErrorBodySchema>;
export type ListUsersParams = z.infer<typeof ListUsersParamsSchema>;
