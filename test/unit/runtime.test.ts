import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('runtime', () => {
  // The project brings its own Node (the `node` devDependency) for npm scripts and npx; a `node`
  // found first on the PATH may be older, and the code needs what package.json's engines says.
  it("runs the tests on a Node that meets package.json's engines", () => {
    const { engines } = JSON.parse(readFileSync('package.json', 'utf8')) as {
      engines: { node: string };
    };
    const [major = 0, minor = 0] = (/^>=(\d+)\.(\d+)$/.exec(engines.node) ?? [])
      .slice(1)
      .map(Number);
    expect(major, `engines.node is ${engines.node}`).toBeGreaterThan(0);
    const [runningMajor = 0, runningMinor = 0] = process.versions.node.split('.').map(Number);
    expect(runningMajor * 1000 + runningMinor).toBeGreaterThanOrEqual(major * 1000 + minor);
  });
});
