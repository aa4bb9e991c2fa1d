/**
 * Native npm packages of the CloudVault handlers. They cannot be bundled (a `.node` addon and its
 * shared libraries are platform binaries), so the bundles keep them external and this step
 * installs them into the handler's asset (`assets/handlers/<name>/node_modules`) for the platform
 * the functions run on: Linux, ARM64 (Graviton), glibc. The machine building may be anything
 * (the tests here run on x64 with the x64 build from the repo's node_modules).
 *
 * - The version installed is exactly the one in the repo's node_modules, so tests and Lambda run
 *   the same code.
 * - npm itself fetches the packages (`--os/--cpu/--libc` pick the optional platform packages), with
 *   `--prefer-offline` so npm's own cache is used when it has them.
 * - The pruned, verified result is cached under `node_modules/.cache/`: builds after the first are
 *   fast and need no network.
 * - Only what runs is kept (no docs, type declarations, C++ sources, build scripts, ES module twins
 *   of CommonJS files: the handlers load native packages with require()).
 * - Every binary in the result must be an AArch64 ELF; any other (x86-64 ELF, Mach-O, PE) fails
 *   the build, as does a package that does not resolve from the handler.
 */
import { execFileSync } from 'child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, closeSync, renameSync, rmSync, statSync } from 'fs';
import { createRequire } from 'module';
import * as path from 'path';

/** The Lambda platform of the CloudVault functions. */
export const LAMBDA_PLATFORM = { os: 'linux', cpu: 'arm64', libc: 'glibc' } as const;

export interface NativePackage {
  readonly name: string;
  /**
   * Its packages for LAMBDA_PLATFORM, which npm picks from its optionalDependencies; they must be
   * installed at exactly the versions those pin.
   */
  readonly platformPackages: readonly string[];
}

/** Per handler (`<app>/<handler>`): the native packages its bundle keeps external and its asset gets installed. */
export const HANDLER_NATIVE_PACKAGES: Readonly<Record<string, readonly NativePackage[]>> = {
  // sharp's JavaScript, its addon, and libvips (one shared library, about 18 MB).
  'cloudvault/file-processor': [{ name: 'sharp', platformPackages: ['@img/sharp-linux-arm64', '@img/sharp-libvips-linux-arm64'] }],
  'personal-pod/attachment-processor': [{ name: 'sharp', platformPackages: ['@img/sharp-linux-arm64', '@img/sharp-libvips-linux-arm64'] }],
};

/** Every native package (esbuild's `external` list). */
export const NATIVE_PACKAGES: readonly string[] = [...new Set(Object.values(HANDLER_NATIVE_PACKAGES).flat().map((p) => p.name))].sort();

/** ELF e_machine of AArch64 (the only architecture allowed in an asset). */
const EM_AARCH64 = 0xb7;

/** Files and folders the functions never read. */
const OMIT = [
  /(^|\/)(README|CHANGELOG|HISTORY)(\.[a-z]+)?$/i,
  /\.(md|markdown|d\.ts|d\.cts|d\.mts|map|cc|c|cpp|h|hpp|gyp|gypi|bnf)$/,
  /\.mjs$/, // ES module twins of the .cjs files require() loads
  /^node_modules\/\.package-lock\.json$/,
  /^node_modules\/\.bin\//, // CLI links
  /^node_modules\/sharp\/install\//, // builds sharp from source; never run here
  /^node_modules\/semver\/bin\//,
];

export interface NativeInstall {
  readonly packageName: string;
  readonly version: string;
  /** Bytes and files copied into the asset. */
  readonly bytes: number;
  readonly files: number;
  /** The ELF binaries checked, relative to the asset. */
  readonly binaries: string[];
  readonly fromCache: boolean;
}

/** The version of `name` in the repo's node_modules (package.json read directly: `exports` may hide it). */
export function repoVersion(root: string, name: string): string {
  const file = path.join(root, 'node_modules', ...name.split('/'), 'package.json');
  if (!existsSync(file)) throw new Error(`${name} is not installed in ${path.dirname(file)}: run npm ci`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/** Installs the native packages of `handler` into `assetDir/node_modules`; [] when it has none. */
export function installNativePackages(root: string, handler: string, assetDir: string): NativeInstall[] {
  return (HANDLER_NATIVE_PACKAGES[handler] ?? []).map((native) => {
    const version = repoVersion(root, native.name);
    const { dir, fromCache } = cachedInstall(root, native, version);
    const target = path.join(assetDir, 'node_modules');
    cpSync(path.join(dir, 'node_modules'), target, { recursive: true });
    const binaries = verifyTree(assetDir, native, version);
    const { bytes, files } = treeSize(target);
    return { packageName: native.name, version, bytes, files, binaries, fromCache };
  });
}

/** The cache directory of `name@version` for the Lambda platform, filled (and verified) when missing. */
function cachedInstall(root: string, native: NativePackage, version: string): { dir: string; fromCache: boolean } {
  const { name } = native;
  const { os, cpu, libc } = LAMBDA_PLATFORM;
  const cacheRoot = path.join(root, 'node_modules', '.cache');
  const dir = path.join(cacheRoot, `cloudvault-${name.replace(/[@/]/g, '_')}-${version}-${os}-${cpu}-${libc}`);
  // A cache entry only ever appears complete (renamed into place after verification).
  if (existsSync(path.join(dir, 'node_modules', ...name.split('/'), 'package.json'))) return { dir, fromCache: true };

  mkdirSync(cacheRoot, { recursive: true });
  const staging = mkdtempSync(path.join(cacheRoot, 'cloudvault-native-'));
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    execFileSync(npm, [
      'install', `${name}@${version}`,
      '--prefix', staging,
      `--os=${os}`, `--cpu=${cpu}`, `--libc=${libc}`,
      '--omit=dev', '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline',
      '--loglevel=error',
    ], { cwd: staging, stdio: ['ignore', 'ignore', 'pipe'] });
    prune(path.join(staging, 'node_modules'));
    verifyTree(staging, native, version);
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`installing ${name}@${version} for ${os}-${cpu} (${libc}) failed${stderr ? `: ${stderr}` : `: ${(err as Error).message}`}`);
  }
  return { dir, fromCache: false };
}

function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return walk(full, base);
    return [path.relative(base, full).split(path.sep).join('/')];
  });
}

/** Removes what the functions never read, then folders left empty. */
function prune(nodeModules: string): void {
  const base = path.dirname(nodeModules);
  for (const file of walk(nodeModules, base)) {
    if (OMIT.some((re) => re.test(file))) rmSync(path.join(base, file));
  }
  const removeEmpty = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) removeEmpty(path.join(dir, entry.name));
    }
    if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
  };
  removeEmpty(nodeModules);
}

/** What a binary file is, from its first bytes; undefined for anything that is not a binary. */
export function binaryKind(header: Buffer): { format: 'elf'; machine: number; is64: boolean } | { format: 'mach-o' | 'pe' } | undefined {
  if (header.length >= 20 && header.readUInt32BE(0) === 0x7f454c46) {
    const littleEndian = header[5] === 1;
    return { format: 'elf', machine: littleEndian ? header.readUInt16LE(18) : header.readUInt16BE(18), is64: header[4] === 2 };
  }
  if (header.length >= 4 && [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(header.readUInt32BE(0))) return { format: 'mach-o' };
  // MZ stub whose e_lfanew (offset 0x3c) points at the PE signature.
  if (header.length >= 0x40 && header[0] === 0x4d && header[1] === 0x5a) {
    const peOffset = header.readUInt32LE(0x3c);
    if (peOffset + 4 <= header.length && header.readUInt32BE(peOffset) === 0x50450000) return { format: 'pe' };
  }
  return undefined;
}

function readHeader(file: string, length = 4096): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    return buffer.subarray(0, readSync(fd, buffer, 0, length, 0));
  } finally {
    closeSync(fd);
  }
}

const readManifest = (file: string): Manifest => JSON.parse(readFileSync(file, 'utf8')) as Manifest;
interface Manifest {
  readonly version: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
}

/**
 * Checks `dir/node_modules`: `native` at `version` with its platform packages at the versions it
 * pins; every binary a 64-bit AArch64 ELF (and a `.node` addon among them); the package and every
 * dependency resolvable from a handler in `dir`. Returns the binaries' paths.
 */
export function verifyTree(dir: string, native: NativePackage, version: string): string[] {
  const nodeModules = path.join(dir, 'node_modules');
  const manifestOf = (name: string): Manifest | undefined => {
    const file = path.join(nodeModules, ...name.split('/'), 'package.json');
    return existsSync(file) ? readManifest(file) : undefined;
  };
  const main = manifestOf(native.name);
  if (main?.version !== version) throw new Error(`${native.name}@${version} expected in ${nodeModules}, found ${main?.version ?? 'nothing'}`);
  for (const platformPackage of native.platformPackages) {
    const pinned = main.optionalDependencies?.[platformPackage];
    const found = manifestOf(platformPackage)?.version;
    if (!pinned || found !== pinned) throw new Error(`${platformPackage}@${pinned ?? '(not an optional dependency of ' + native.name + ')'} expected, found ${found ?? 'nothing'}`);
  }

  const binaries: string[] = [];
  for (const file of walk(nodeModules, dir)) {
    const kind = binaryKind(readHeader(path.join(dir, file)));
    if (!kind) continue;
    if (kind.format !== 'elf' || kind.machine !== EM_AARCH64 || !kind.is64) {
      const what = kind.format === 'elf' ? `ELF e_machine 0x${kind.machine.toString(16)}` : kind.format;
      throw new Error(`${file} is ${what}, not a linux-arm64 (AArch64 ELF) binary`);
    }
    binaries.push(file);
  }
  if (!binaries.some((f) => f.endsWith('.node'))) throw new Error(`no native addon (.node) in ${nodeModules}: the platform packages were not installed`);

  // Resolution as the handler (dir/index.mjs) does it: the packages, and every package's own dependencies.
  createRequire(path.join(dir, 'index.mjs')).resolve(native.name);
  for (const manifest of walk(nodeModules, dir).filter((f) => /^node_modules\/(@[^/]+\/)?[^/]+\/package\.json$/.test(f))) {
    const pkg = readManifest(path.join(dir, manifest));
    const fromPackage = createRequire(path.join(dir, manifest));
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      if (!existsSync(path.join(nodeModules, ...dep.split('/'), 'package.json'))) throw new Error(`${manifest}: dependency ${dep} is missing`);
      fromPackage.resolve(dep);
    }
  }
  return binaries;
}

function treeSize(dir: string): { bytes: number; files: number } {
  const files = walk(dir);
  return { bytes: files.reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0), files: files.length };
}
