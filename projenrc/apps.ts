import { existsSync } from 'fs';
import * as path from 'path';
import { awscdk } from 'projen';

export interface AppOptions {
  /** The folder under apps/ and the task name: `npx projen <name>`. */
  readonly name: string;
  /** How the summary and task descriptions name the app. */
  readonly title: string;
}

/**
 * The tasks of one application under apps/ (ARCHITECTURE.md): `<name>` bundles the handlers and
 * synthesizes the app under every compliance gate (apps/<name>/infra/main.ts), `<name>:local` runs
 * its local mode (apps/<name>/local/main.ts) and `<name>:diagram` regenerates its architecture
 * picture (apps/<name>/build/write-architecture-diagram.ts), each when the app has that file.
 */
export function addApp(project: awscdk.AwsCdkConstructLibrary, app: AppOptions): void {
  const bundle = project.tasks.tryFind('bundle:handlers')!;
  const dir = `apps/${app.name}`;
  const has = (file: string) => existsSync(path.join(__dirname, '..', dir, file));
  project.addTask(app.name, {
    description: `Synthesize ${app.title} (five cdk-nag packs and the Control Tower rules) and print its validation summary`,
    exec: `node -r esbuild-register ${dir}/infra/main.ts`,
  }).prependSpawn(bundle);
  if (has('local/main.ts')) {
    project.addTask(`${app.name}:local`, {
      description: `Run ${app.title} locally (handlers from source against local engines)`,
      exec: `ts-node --transpile-only --project tsconfig.dev.json ${dir}/local/main.ts`,
      receiveArgs: true,
    });
  }
  if (has('build/write-architecture-diagram.ts')) {
    project.addTask(`${app.name}:diagram`, {
      description: `Regenerate the ${app.title} architecture diagram from the synthesized app`,
      exec: `ts-node --transpile-only --project tsconfig.dev.json ${dir}/build/write-architecture-diagram.ts`,
    });
  }
}
