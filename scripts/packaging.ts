/**
 * Packages the stack the way `npm run package` does (`osls package`, no AWS credentials, no
 * network, HOME pointed at an empty folder) and reads what it produced: the CloudFormation
 * template and each function's zip. Used by the deploy tests and by `bench/init-time.ts`.
 *
 * osls uses the service's `.serverless/` folder as scratch space (it empties it first, and with
 * `--package` removes it afterwards), so packaging runs in a private copy of the project's sources
 * (with `node_modules` linked): it leaves the working tree alone and cannot collide with another
 * packaging. Packaging takes a while, so its output is cached under
 * `node_modules/.cache/cognito-import-pipeline/` with a fingerprint of everything that goes into
 * it, and reused while the fingerprint still matches.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import type { CfnTemplate } from '../src/local/cfn.ts';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const STAGE = 'test';
export const REGION = 'us-east-1';
export const SERVICE = 'cognito-import-pipeline';

export type { CfnResource, CfnTemplate } from '../src/local/cfn.ts';

export interface PackagedStack {
  /** The --package folder: the template, serverless-state.json and one zip per function. */
  dir: string;
  template: CfnTemplate;
  /** True when the output came from the cache. */
  cached: boolean;
  /** How long `osls package` took (0 when cached). */
  seconds: number;
}

const CACHE = join(ROOT, 'node_modules', '.cache', SERVICE, 'deploy-package');
const TEMPLATE = 'cloudformation-template-update-stack.json';

/** What packaging reads from the project (besides node_modules). */
const SOURCE_FILES = ['serverless.yml', 'package.json', 'package-lock.json', 'tsconfig.json'];
const SOURCE_DIRS = ['functions', 'src', 'statemachine', 'resources', 'plugins'];

/** Everything that changes the packaged output, hashed. */
function fingerprint(): string {
  const hash = createHash('sha256');
  const files = [...SOURCE_FILES];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(path);
    }
  };
  for (const dir of SOURCE_DIRS) walk(dir);
  for (const file of files.sort()) {
    const full = join(ROOT, file);
    if (!existsSync(full)) continue;
    hash.update(`${file}\n`);
    hash.update(readFileSync(full));
  }
  hash.update(`${STAGE} ${REGION}`);
  return hash.digest('hex');
}

/** The environment `osls package` runs in: no AWS settings at all, an empty HOME, Node 22 first. */
function packagingEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!/^(AWS_|SLS_|SERVERLESS_)/.test(name)) env[name] = value;
  return {
    ...env,
    HOME: home,
    PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
    NO_COLOR: '1',
  };
}

/**
 * Where the machine allows it (Linux user namespaces), packaging runs with no network at all
 * (`unshare -rn`: a network namespace with only a down loopback), which proves it needs none.
 */
export const CAN_ISOLATE_NETWORK =
  process.platform === 'linux' && spawnSync('unshare', ['-rn', 'true']).status === 0;

/**
 * Runs `osls package --stage test --region us-east-1 --package <outDir>` (or another stage) in a
 * private copy of the project, without network where possible; returns how many seconds osls
 * took. A failed packaging throws with osls's output.
 */
export async function runPackage(outDir: string, stage = STAGE): Promise<number> {
  const scratch = mkdtempSync(join(tmpdir(), 'cognito-import-package-'));
  const service = join(scratch, 'service');
  mkdirSync(service);
  for (const file of SOURCE_FILES)
    if (existsSync(join(ROOT, file))) cpSync(join(ROOT, file), join(service, file));
  for (const dir of SOURCE_DIRS) cpSync(join(ROOT, dir), join(service, dir), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(service, 'node_modules'), 'dir');
  const home = join(scratch, 'home');
  mkdirSync(home);
  const started = performance.now();
  try {
    const osls = [
      join(ROOT, 'node_modules', '.bin', 'osls'),
      ...['package', '--stage', stage, '--region', REGION, '--package', outDir],
    ];
    const [command, ...args] = (CAN_ISOLATE_NETWORK ? ['unshare', '-rn', ...osls] : osls) as [
      string,
      ...string[],
    ];
    await promisify(execFile)(command, args, {
      cwd: service,
      env: packagingEnv(home),
      timeout: 240_000,
      maxBuffer: 16 << 20,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`osls package failed:\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: error });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return (performance.now() - started) / 1000;
}

/**
 * The packaged stack: from the cache when its fingerprint matches, else packaged now (into a
 * temporary folder that replaces the cache only once complete, so a concurrent run never reads
 * half an output).
 */
export async function packageStack(options: { fresh?: boolean } = {}): Promise<PackagedStack> {
  const print = fingerprint();
  const stamp = join(CACHE, 'fingerprint');
  if (
    !options.fresh &&
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8') === print &&
    existsSync(join(CACHE, TEMPLATE))
  )
    return { dir: CACHE, template: readTemplate(CACHE), cached: true, seconds: 0 };
  mkdirSync(dirname(CACHE), { recursive: true });
  const staging = `${CACHE}.tmp-${process.pid}-${Date.now()}`;
  const seconds = await runPackage(staging);
  writeFileSync(join(staging, 'fingerprint'), print);
  rmSync(CACHE, { recursive: true, force: true });
  try {
    renameSync(staging, CACHE);
  } catch {
    // Another run put its (identical) output there first: read ours from where it is.
    return { dir: staging, template: readTemplate(staging), cached: false, seconds };
  }
  return { dir: CACHE, template: readTemplate(CACHE), cached: false, seconds };
}

export function readTemplate(dir: string): CfnTemplate {
  return JSON.parse(readFileSync(join(dir, TEMPLATE), 'utf8')) as CfnTemplate;
}

/** The files of a zip archive (stored or deflated entries; no zip64, which these never need). */
export function readZip(zip: Buffer): Map<string, Buffer> {
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  if (end < 0) throw new Error('Not a zip archive: no end-of-central-directory record.');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('Corrupt zip central directory.');
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + compressedSize);
    if (method === 0) files.set(name, Buffer.from(data));
    else if (method === 8) files.set(name, inflateRawSync(data));
    else throw new Error(`Zip entry ${name} uses compression method ${method}.`);
  }
  return files;
}

export interface Bundle {
  /** The function's key in serverless.yml (and FUNCTION_HANDLERS). */
  key: string;
  zipPath: string;
  zipBytes: number;
  /** The zip's files (path → bytes). */
  files: Map<string, Buffer>;
  /** The handler module inside the zip, e.g. functions/start-import.mjs. */
  handlerFile: string;
}

/** Each function's zip, with the module its `Handler` names. */
export function bundlesOf(stack: PackagedStack): Bundle[] {
  const bundles: Bundle[] = [];
  for (const resource of Object.values(stack.template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const name = resource.Properties.FunctionName as string;
    const key = name.slice(`${SERVICE}-${STAGE}-`.length);
    const zipPath = join(stack.dir, `${key}.zip`);
    const files = readZip(readFileSync(zipPath));
    const stem = (resource.Properties.Handler as string).replace(/\.[^.]+$/, '');
    const handlerFile = ['.mjs', '.js', '.cjs'].map((ext) => stem + ext).find((f) => files.has(f));
    if (!handlerFile) throw new Error(`${key}.zip holds no module for handler ${stem}.`);
    bundles.push({ key, zipPath, zipBytes: statSync(zipPath).size, files, handlerFile });
  }
  return bundles.sort((a, b) => a.key.localeCompare(b.key));
}

/** Unpacks each bundle into `<outDir>/<key>/` and returns the handler module's absolute path. */
export function extractBundles(bundles: Bundle[], outDir: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const bundle of bundles) {
    for (const [name, data] of bundle.files) {
      const target = join(outDir, bundle.key, name);
      if (relative(join(outDir, bundle.key), target).startsWith('..'))
        throw new Error(`Zip entry ${name} escapes its folder.`);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, data);
    }
    paths.set(bundle.key, join(outDir, bundle.key, bundle.handlerFile));
  }
  return paths;
}
