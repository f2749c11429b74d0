import { describe, expect, it } from 'vitest';

describe('runtime', () => {
  it('runs the npm scripts on Node 22', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
  });
});
