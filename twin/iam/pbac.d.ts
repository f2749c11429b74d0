/** The parts of pbac (MIT, no types of its own) that twin/iam/policy-engine.ts uses. */
declare module 'pbac' {
  interface PbacRequest {
    action: string;
    resource: string;
    principal?: Record<string, string[]>;
    context?: Record<string, unknown>;
  }
  type ConditionFunction = (this: Pbac, value: unknown, expected: unknown) => unknown;
  class Pbac {
    constructor(
      policies: unknown[],
      options?: {
        conditions?: Record<string, ConditionFunction>;
        validateSchema?: boolean;
        validatePolicies?: boolean;
      },
    );
    /** Explicit deny wins; else true when a statement allows; else false (implicit deny). */
    evaluate(request: PbacRequest): boolean;
    /** The first statement of this effect that matches the request, if any. */
    filterPoliciesBy(request: Required<PbacRequest> & { effect: 'Allow' | 'Deny' }): unknown;
    conditions: Record<string, ConditionFunction>;
  }
  export default Pbac;
}

declare module 'pbac/conditions.js' {
  type Comparator = (this: unknown, value: unknown, expected: unknown) => boolean;
  const conditions: Record<string, Comparator>;
  export default conditions;
}
