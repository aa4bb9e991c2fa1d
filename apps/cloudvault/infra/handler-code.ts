import { existsSync } from 'fs';
import * as path from 'path';
import { aws_lambda as lambda } from 'aws-cdk-lib';

/**
 * Where the build bundles the CloudVault handlers: one folder per handler with an `index.mjs`.
 */
export const HANDLER_BUNDLE_DIR = path.resolve(__dirname, '..', 'assets', 'handlers');

/**
 * The prebuilt code of handler `name` (apps/cloudvault/handlers/<name>.lambda.ts), bundled at build
 * time by `npx projen bundle:handlers`, so synthesizing the app never runs esbuild.
 */
export function handlerCode(name: string): lambda.Code {
  const dir = path.join(HANDLER_BUNDLE_DIR, name);
  if (!existsSync(path.join(dir, 'index.mjs'))) {
    throw new Error(`CloudVault handler "${name}" is not bundled (${dir}/index.mjs missing): run "npx projen bundle:handlers"`);
  }
  return lambda.Code.fromAsset(dir);
}
