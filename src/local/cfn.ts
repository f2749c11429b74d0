/**
 * Just enough of CloudFormation's template processing to read a template as a stack with given
 * parameter values would get it: the Conditions evaluated, every Fn::If resolved (an
 * AWS::NoValue branch removes the property or list item), resources and outputs whose condition
 * is false left out; and, for strings, Ref / Fn::Sub / Fn::Join / Fn::Split / Fn::Select worked
 * out. Pseudo parameters and references to resources are left as `${AWS::Region}`,
 * `${Resource}` and `${Resource.Attr}`, unless a {@link Resolver} names them (the twin's host
 * does, to read the stack's IAM policies with the twin's account, region and resource names).
 * Used by the deploy tests and by src/local/stack-roles.ts.
 */

/** The part of a CloudFormation template that is read. */
export interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export interface CfnTemplate {
  Parameters?: Record<string, Record<string, unknown>>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown }>;
}

/**
 * What a stack's references resolve to: `Ref` and `${Name}` of a pseudo parameter or resource,
 * and `Fn::GetAtt` / `${Resource.Attr}`. A resolver that answers undefined makes the evaluation
 * fail, naming the reference, rather than leave it unresolved.
 */
export interface Resolver {
  ref(name: string): string | undefined;
  getAtt(resource: string, attribute: string): string | undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const NO_VALUE = Symbol('AWS::NoValue');

/** The parameter values a stack gets: each parameter's default, overridden by `given`. */
export function parameterValues(
  template: CfnTemplate,
  given: Record<string, string> = {},
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, parameter] of Object.entries(template.Parameters ?? {}))
    values[name] = String(given[name] ?? parameter.Default ?? '');
  for (const name of Object.keys(given))
    if (!(name in values)) throw new Error(`The template has no parameter ${name}.`);
  return values;
}

/** The template's Conditions, evaluated for these parameter values. */
export function conditionValues(
  template: CfnTemplate,
  parameters: Record<string, string>,
): Record<string, boolean> {
  const conditions = (template.Conditions ?? {}) as Record<string, unknown>;
  const done: Record<string, boolean> = {};
  const value = (node: unknown): unknown => {
    if (typeof node === 'string') return node;
    if (isObject(node)) {
      if (typeof node.Ref === 'string') {
        if (!(node.Ref in parameters)) throw new Error(`Condition refers to ${node.Ref}.`);
        return parameters[node.Ref];
      }
      if (typeof node.Condition === 'string') return condition(node.Condition);
      const [fn, args] = Object.entries(node)[0] as [string, unknown[]];
      if (fn === 'Fn::Equals') return value(args[0]) === value(args[1]);
      if (fn === 'Fn::Not') return !value(args[0]);
      if (fn === 'Fn::Or') return args.some((a) => value(a) === true);
      if (fn === 'Fn::And') return args.every((a) => value(a) === true);
    }
    throw new Error(`Unsupported condition ${JSON.stringify(node)}.`);
  };
  const condition = (name: string): boolean => {
    if (!(name in done)) {
      if (!(name in conditions)) throw new Error(`No condition ${name}.`);
      done[name] = value(conditions[name]) === true;
    }
    return done[name] as boolean;
  };
  for (const name of Object.keys(conditions)) condition(name);
  return done;
}

function resolveIfs(node: unknown, conditions: Record<string, boolean>): unknown {
  if (Array.isArray(node))
    return node.map((item) => resolveIfs(item, conditions)).filter((item) => item !== NO_VALUE);
  if (!isObject(node)) return node;
  if (node.Ref === 'AWS::NoValue') return NO_VALUE;
  const branches = node['Fn::If'];
  if (Array.isArray(branches)) {
    const [name, yes, no] = branches as [string, unknown, unknown];
    if (!(name in conditions)) throw new Error(`Fn::If names no condition ${name}.`);
    return resolveIfs(conditions[name] ? yes : no, conditions);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    const resolved = resolveIfs(value, conditions);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}

/** The template as a stack with these parameter values gets it (see the module comment). */
export function resolveScenario(
  template: CfnTemplate,
  given: Record<string, string> = {},
): CfnTemplate {
  const parameters = parameterValues(template, given);
  const conditions = conditionValues(template, parameters);
  const kept = <T extends { Condition?: string }>(entries: Record<string, T>) =>
    Object.fromEntries(
      Object.entries(entries).filter(([, r]) => !r.Condition || conditions[r.Condition]),
    );
  return {
    ...template,
    Resources: resolveIfs(kept(template.Resources), conditions) as CfnTemplate['Resources'],
    ...(template.Outputs
      ? {
          Outputs: resolveIfs(
            kept(template.Outputs as Record<string, { Value: unknown; Condition?: string }>),
            conditions,
          ) as CfnTemplate['Outputs'],
        }
      : {}),
  };
}

/**
 * A value worked out to a string (or a list of strings): parameters by their values; pseudo
 * parameters and references to resources by the resolver's answers, or, without one, as
 * `${AWS::Region}` / `${Resource.Attr}` / `${Resource}`.
 */
export function evaluate(
  node: unknown,
  parameters: Record<string, string>,
  resolver?: Resolver,
): string | string[] {
  const text = (value: unknown): string => {
    const result = evaluate(value, parameters, resolver);
    if (Array.isArray(result)) throw new Error(`Expected a string, got ${JSON.stringify(result)}.`);
    return result;
  };
  const ref = (name: string): string => {
    if (name in parameters) return parameters[name] as string;
    if (!resolver) return `\${${name}}`;
    const value = resolver.ref(name);
    if (value === undefined) throw new Error(`Cannot resolve Ref ${name}.`);
    return value;
  };
  const getAtt = (resource: string, attribute: string): string => {
    if (!resolver) return `\${${resource}.${attribute}}`;
    const value = resolver.getAtt(resource, attribute);
    if (value === undefined) throw new Error(`Cannot resolve Fn::GetAtt ${resource}.${attribute}.`);
    return value;
  };
  if (typeof node === 'string') return node;
  if (typeof node === 'number' || typeof node === 'boolean') return String(node);
  if (Array.isArray(node)) return node.map(text);
  if (isObject(node)) {
    if (typeof node.Ref === 'string') return ref(node.Ref);
    const getAttArgs = node['Fn::GetAtt'];
    if (Array.isArray(getAttArgs)) {
      const [resource, ...attribute] = getAttArgs.map(String) as [string, ...string[]];
      return getAtt(resource, attribute.join('.'));
    }
    if (typeof getAttArgs === 'string') {
      const dot = getAttArgs.indexOf('.');
      return getAtt(getAttArgs.slice(0, dot), getAttArgs.slice(dot + 1));
    }
    const join = node['Fn::Join'];
    if (Array.isArray(join)) {
      const [separator, items] = join as [string, unknown];
      const list = evaluate(items, parameters, resolver);
      return (Array.isArray(list) ? list : [list]).join(separator);
    }
    const split = node['Fn::Split'];
    if (Array.isArray(split)) return text(split[1]).split(split[0] as string);
    const select = node['Fn::Select'];
    if (Array.isArray(select)) {
      const list = evaluate(select[1], parameters, resolver);
      const index = Number(select[0]);
      if (!Array.isArray(list) || index >= list.length)
        throw new Error(`Fn::Select ${index} is out of range.`);
      return list[index] as string;
    }
    const sub = node['Fn::Sub'];
    if (sub !== undefined) {
      const [body, variables] = (Array.isArray(sub) ? sub : [sub, {}]) as [
        string,
        Record<string, unknown>,
      ];
      return body.replace(/\$\{([^}!]+)\}/g, (_whole, name: string) => {
        if (name in variables) return text(variables[name]);
        const dot = name.indexOf('.');
        return dot === -1 ? ref(name) : getAtt(name.slice(0, dot), name.slice(dot + 1));
      });
    }
  }
  throw new Error(`Cannot evaluate ${JSON.stringify(node)}.`);
}
