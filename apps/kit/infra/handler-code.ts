import { existsSync } from 'fs';
import * as path from 'path';
import { aws_lambda as lambda } from 'aws-cdk-lib';

/**
 * The prebuilt code of handler `name` of the app in `appDir` (`<appDir>/handlers/<name>.lambda.ts`),
 * bundled at build time by `npx projen bundle:handlers` into `<appDir>/assets/handlers/<name>/index.mjs`,
 * so synthesizing an app never runs esbuild.
 */
export function bundledHandlerCode(appDir: string, name: string): lambda.Code {
  const dir = path.join(appDir, 'assets', 'handlers', name);
  if (!existsSync(path.join(dir, 'index.mjs'))) {
    throw new Error(`handler "${name}" of ${path.basename(appDir)} is not bundled (${dir}/index.mjs missing): run "npx projen bundle:handlers"`);
  }
  return lambda.Code.fromAsset(dir);
}
