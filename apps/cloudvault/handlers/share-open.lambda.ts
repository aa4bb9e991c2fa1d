/**
 * The public share-open route (GET /api/shares/{token}) in a function of its own: the shares
 * handler's code, run under a role that can only find a link by token, count its downloads and
 * wrong passwords, read the file's current version and sign its download (infra/handler-permissions.ts).
 * API Gateway sends it nothing else; should another route reach it, its role refuses the writes.
 */
export { handler } from './shares.lambda';
