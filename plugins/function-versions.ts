/**
 * An osls plugin of this service (serverless.yml `plugins`, listed before
 * serverless-step-functions): a function's published version follows the stack's settings.
 *
 * The state machine invokes published Lambda versions, never `$LATEST` (serverless.yml:
 * `versionFunctions`, `useExactVersion`), so that an execution keeps the code and settings it
 * started with. osls publishes a version as an `AWS::Lambda::Version` whose logical id is a hash
 * of the function's code and configuration as the template writes them; a new id is a new
 * version. But the settings are CloudFormation parameters, which the configuration names
 * (`ALLOWED_USER_POOLS: { Ref: AllowedUserPools }`) rather than holds: a deploy that changes only
 * a setting (`--param="defaultUserPoolId=…"`) would update the functions' configuration and
 * publish no version, and the workflow would go on running every new import with the old setting.
 * This plugin folds the values of the parameters each function refers to (their defaults, which
 * is where `--param` puts them) into its version's logical id, so such a deploy publishes new
 * versions and a new state machine version that uses them.
 *
 * It runs on `package:compileFunctions`, after osls has added the versions and before
 * serverless-step-functions writes their ids into the state machine's definition.
 */
import { createHash } from 'node:crypto';

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export interface Template {
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value?: unknown }>;
}

export type Parameters = Record<string, { Default?: unknown }>;

const VERSION = 'LambdaVersion';

/** The version's Metadata entry: the id osls gave it (code and configuration) and the settings. */
export const METADATA_KEY = 'cognito-import:version-of';

/** The names of the parameters a value refers to (`Ref`, or `${Name}` in a `Fn::Sub`). */
function parametersIn(value: unknown, parameters: Parameters, found = new Set<string>()) {
  if (Array.isArray(value)) for (const item of value) parametersIn(item, parameters, found);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'Ref' && typeof item === 'string' && item in parameters) found.add(item);
      else if (key === 'Fn::Sub') {
        const body = Array.isArray(item) ? item[0] : item;
        if (typeof body === 'string')
          for (const match of body.matchAll(/\$\{([^}!.]+)\}/g))
            if ((match[1] as string) in parameters) found.add(match[1] as string);
        parametersIn(item, parameters, found);
      } else parametersIn(item, parameters, found);
    }
  }
  return found;
}

/** What a function's settings are: each parameter it refers to, with its value. */
export function settingsOf(fn: Resource, parameters: Parameters): [string, unknown][] {
  return [...parametersIn(fn.Properties, parameters)]
    .sort()
    .map((name) => [name, parameters[name]?.Default ?? null]);
}

/** The logical id of a version: osls's id (code and configuration) and the settings, hashed. */
export function versionId(oslsId: string, settings: [string, unknown][]): string {
  const at = oslsId.indexOf(VERSION) + VERSION.length;
  const digest = createHash('sha256')
    .update(JSON.stringify([oslsId, settings]))
    .digest('base64')
    .replace(/[^0-9a-z]/gi, '');
  return `${oslsId.slice(0, at)}${digest}`;
}

/**
 * Gives each `AWS::Lambda::Version` of the template a logical id that also hashes its function's
 * settings, and points the outputs that named it at the new id. Returns old id → new id.
 */
export function versionsFollowSettings(
  template: Template,
  parameters: Parameters,
): Map<string, string> {
  const renamed = new Map<string, string>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Version') continue;
    const at = id.indexOf(VERSION);
    const functionRef = (resource.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref;
    const fn = functionRef ? template.Resources[functionRef] : undefined;
    if (at < 0 || !fn) continue;
    const settings = settingsOf(fn, parameters);
    if (settings.length === 0) continue;
    renamed.set(id, versionId(id, settings));
    // Says in the template what the id hashes, so that it can be checked.
    resource.Metadata = { [METADATA_KEY]: { code: id, settings: settings.map(([name]) => name) } };
  }
  for (const [from, to] of renamed) {
    template.Resources[to] = template.Resources[from] as Resource;
    delete template.Resources[from];
  }
  for (const output of Object.values(template.Outputs ?? {})) {
    const ref = (output.Value as { Ref?: string } | undefined)?.Ref;
    if (ref && renamed.has(ref)) output.Value = { Ref: renamed.get(ref) };
  }
  return renamed;
}

/** The parts of osls this plugin reads. */
interface Serverless {
  service: {
    provider: { compiledCloudFormationTemplate: Template };
    resources?: { Parameters?: Parameters };
  };
}

export default class FunctionVersions {
  readonly hooks: Record<string, () => void>;

  constructor(serverless: Serverless) {
    this.hooks = {
      'package:compileFunctions': () => {
        versionsFollowSettings(
          serverless.service.provider.compiledCloudFormationTemplate,
          serverless.service.resources?.Parameters ?? {},
        );
      },
    };
  }
}
