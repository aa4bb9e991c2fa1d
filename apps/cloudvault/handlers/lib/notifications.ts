/**
 * The notification message: what the notifications API puts on the queue and the
 * notification worker consumes. Both sides validate it with the same schema.
 */
import * as z from 'zod/mini';
import { isWellFormed } from './validation';
import './zod-locale';

/**
 * Templates and the variables each one needs. The SES templates of the events stack
 * (NOTIFICATION_TEMPLATES in src/cloudvault/events-stack.ts, named SES_TEMPLATE_PREFIX + name)
 * use exactly these `{{variables}}`; a test checks that the two lists match. SES accepts a
 * SendEmail with a missing variable and only fails later, while rendering, so the API rejects
 * the request up front instead.
 */
export const TEMPLATE_VARIABLES = {
  'share-created': ['sharedBy', 'fileName', 'url'],
  'upload-complete': ['fileName'],
  'quota-warning': ['usedPercent'],
  'generic': ['subject', 'message'],
} as const satisfies Record<string, readonly string[]>;

export type TemplateName = keyof typeof TEMPLATE_VARIABLES;
export const TEMPLATE_NAMES = Object.keys(TEMPLATE_VARIABLES) as [TemplateName, ...TemplateName[]];

export const CHANNELS = ['in-app', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Bounds of `data`: small enough for an SQS message, an SES TemplateData and a DynamoDB item. */
export const MAX_DATA_ENTRIES = 20;
export const MAX_DATA_VALUE_LENGTH = 1000;

/** A Cognito `sub` (or a local dev user id): it goes into sort keys, so no `#`. */
export const userIdSchema = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,128}$/, { message: 'must be 1-128 letters, digits, "_" or "-"' }));

/** An e-mail address (one recipient). */
export const emailSchema = z.email({ message: 'must be an e-mail address' }).check(z.maxLength(254, { message: 'must be at most 254 characters' }));

export const channelsSchema = z.array(z.enum(CHANNELS, { message: `must be one of ${CHANNELS.map((c) => `'${c}'`).join(', ')}` })).check(
  z.minLength(1, { message: 'must list at least one channel' }),
  z.maxLength(CHANNELS.length, { message: `must list at most ${CHANNELS.length} channels` }),
  z.refine((list) => new Set(list).size === list.length, { message: 'must not repeat a channel' }),
);

export const templateSchema = z.enum(TEMPLATE_NAMES, { message: `must be one of ${TEMPLATE_NAMES.map((t) => `'${t}'`).join(', ')}` });

export const dataSchema = z
  .record(
    z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/)),
    z.string({ message: 'must be a string' }).check(
      z.maxLength(MAX_DATA_VALUE_LENGTH, { message: `must be at most ${MAX_DATA_VALUE_LENGTH} characters` }),
      z.refine(isWellFormed, { message: 'must be well-formed Unicode text (no lone surrogates)' }),
    ),
    // zod reports a bad key as "Invalid key in record"; say what a key must look like.
    { error: (issue) => (issue.code === 'invalid_key' ? 'keys must be identifiers (a letter, then letters, digits or "_"; at most 64)' : undefined) },
  )
  .check(z.refine((d) => Object.keys(d).length <= MAX_DATA_ENTRIES, { message: `must have at most ${MAX_DATA_ENTRIES} entries` }));

/** Links in free text make the app's sender identity a phishing relay. */
const LINK = /\b(?:https?:\/\/|www\.)|\b[a-z0-9-]+\.(?:com|net|org|io|co|xyz|ru|info|biz|app|link)\b/i;

/**
 * The free text of `generic`: a one-line subject of at most 150 characters, and no links in
 * either. Issues are added at `data.subject` / `data.message`.
 */
export function checkFreeText(template: TemplateName, data: Record<string, string>, ctx: z.core.$RefinementCtx, path: PropertyKey[] = ['data']): void {
  if (template !== 'generic') return;
  const subject = data.subject ?? '';
  if (/[\r\n]/.test(subject) || subject.length > 150) ctx.addIssue({ code: 'custom', path: [...path, 'subject'], message: 'must be one line of at most 150 characters' });
  for (const field of ['subject', 'message']) {
    if (LINK.test(data[field] ?? '')) ctx.addIssue({ code: 'custom', path: [...path, field], message: 'must not contain links' });
  }
}

/** Adds an issue at `data` for each variable the template needs and `data` lacks. */
export function checkTemplateVariables(template: TemplateName, data: Record<string, string>, ctx: z.core.$RefinementCtx, path: PropertyKey[] = ['data']): void {
  const missing = TEMPLATE_VARIABLES[template].filter((v) => data[v] === undefined);
  if (missing.length > 0) {
    ctx.addIssue({ code: 'custom', path, message: `template '${template}' needs ${missing.map((m) => `"${m}"`).join(', ')}` });
  }
}

/** Format version of the message, so the worker can tell old messages from new ones. */
export const MESSAGE_VERSION = 1;

/** The queue message. The tenant comes from the caller's claims, never from a request body. */
export const notificationMessageSchema = z
  .strictObject({
    version: z.literal(MESSAGE_VERSION),
    /** The notification id (returned by the API), in-app item id and idempotency key of the worker. */
    id: z.uuid(),
    tenantId: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/)),
    userId: userIdSchema,
    channels: channelsSchema,
    template: templateSchema,
    data: dataSchema,
    /** Recipient address; present exactly when `channels` has 'email'. */
    email: z.optional(emailSchema),
    /** Who asked for it (the caller's sub). */
    requestedBy: userIdSchema,
    createdAt: z.iso.datetime(),
  })
  .check(
    z.superRefine((m, ctx) => {
      if (m.channels.includes('email') !== (m.email !== undefined)) {
        ctx.addIssue({ code: 'custom', path: ['email'], message: "must be present exactly when channels has 'email'" });
      }
      checkTemplateVariables(m.template, m.data, ctx);
    }),
  );

export type NotificationMessage = z.infer<typeof notificationMessageSchema>;

/** In-app notifications expire (DynamoDB TTL) after this many days. */
export const NOTIFICATION_TTL_DAYS = 90;
