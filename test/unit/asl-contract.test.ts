import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  LAMBDA_SERVICE_ERRORS,
  RETRIED_SERVICE_ERRORS,
  WORKFLOW_ERRORS,
} from '../../src/errors.ts';
import {
  type AslDefinition,
  FUNCTION_HANDLERS,
  matchedErrorNames,
  taskFunctions,
} from '../../src/workflow/tasks.ts';

const definition = JSON.parse(
  readFileSync('statemachine/import-users.asl.json', 'utf8'),
) as AslDefinition;

describe('the state machine and the code agree', () => {
  it('gives every Task state a function whose handler file exists and exports a handler', async () => {
    const tasks = taskFunctions(definition);
    expect(Object.keys(tasks).length).toBeGreaterThanOrEqual(8);
    for (const [state, key] of Object.entries(tasks)) {
      const file = FUNCTION_HANDLERS[key as keyof typeof FUNCTION_HANDLERS];
      expect(file, `${state} names ${key}`).toBeDefined();
      expect(existsSync(file)).toBe(true);
      const module = (await import(`../../${file}`)) as { handler?: unknown };
      expect(typeof module.handler, `${file} exports handler`).toBe('function');
    }
  });

  it('matches only error names that exist as error classes, SDK errors it retries, or States/Lambda errors', () => {
    const known = new Set<string>([
      ...Object.keys(WORKFLOW_ERRORS),
      ...RETRIED_SERVICE_ERRORS,
      ...LAMBDA_SERVICE_ERRORS,
    ]);
    for (const name of matchedErrorNames(definition)) {
      if (name.startsWith('States.')) continue;
      expect(known.has(name), `${name} is matched by the ASL but is no known error`).toBe(true);
    }
  });

  it('matches every error class and every retried service error somewhere', () => {
    const matched = matchedErrorNames(definition);
    for (const name of [
      ...Object.keys(WORKFLOW_ERRORS),
      ...RETRIED_SERVICE_ERRORS,
      ...LAMBDA_SERVICE_ERRORS,
    ]) {
      expect(matched.has(name), `${name} is never matched by the ASL`).toBe(true);
    }
  });

  it('names each error class after the name it throws with', () => {
    for (const [name, ErrorClass] of Object.entries(WORKFLOW_ERRORS))
      expect(new ErrorClass('x').name).toBe(name);
  });

  it('uses JSONPath only: no JSONata, no Assign', () => {
    const text = JSON.stringify(definition);
    expect(text).not.toMatch(/"QueryLanguage":"JSONata"|"Assign"|\{%/);
  });
});
