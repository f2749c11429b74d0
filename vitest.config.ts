import { defineConfig } from 'vitest/config';

/**
 * The test tiers, as vitest projects. `npm test` runs them all (CI); `npm run test:quick` runs
 * the product's own: unit, workflow (the real ASL and handlers on the twin) and deploy (the
 * packaged template), and the leak scan over what they logged.
 */
const tier = (name: string, include: string[], extra: object = {}) => ({
  extends: true,
  // Group 1, so that the leak scan (group 2) runs after every other project. (Left at 0 on a
  // machine where vitest uses one worker, they would join a group vitest runs last.)
  test: { name, include, sequence: { groupOrder: 1 }, ...extra },
});

export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts', 'test/hardening/capture.setup.ts'],
    // The leak scan's capture: every log line of the run goes to one file that the leak-scan
    // project reads once every other project is done (capture.global.ts names the file).
    globalSetup: ['test/hardening/capture.global.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      tier('unit', ['test/unit/**/*.test.ts']),
      tier('workflow', ['test/workflow/**/*.test.ts']),
      tier('deploy', ['test/deploy/**/*.test.ts']),
      tier('twin', ['test/twin/**/*.test.ts']),
      tier('e2e', ['test/e2e/**/*.test.ts']),
      tier('hardening', ['test/hardening/**/*.test.ts'], {
        exclude: ['test/hardening/leak-scan.test.ts'],
      }),
      // Last, once every other project has written its log lines.
      tier('leak-scan', ['test/hardening/leak-scan.test.ts'], { sequence: { groupOrder: 2 } }),
    ],
    coverage: {
      provider: 'v8',
      // The product: the handlers and what they run. The CLI and the twin's host run mostly in
      // child processes (test/e2e), which coverage does not see; the twin is not the product.
      include: [
        'functions/**/*.ts',
        'src/aws/**/*.ts',
        'src/cognito/**/*.ts',
        'src/csv/**/*.ts',
        'src/workflow/**/*.ts',
        'src/config.ts',
        'src/errors.ts',
      ],
      reporter: ['text-summary', 'html', 'json-summary'],
      reportsDirectory: 'coverage',
      // A little under what the quick tier alone reaches (unit + workflow + deploy: 92.8 %
      // statements, 82.6 % branches, 91.2 % functions, 93.9 % lines); the whole suite covers more.
      thresholds: {
        statements: 89,
        branches: 79,
        functions: 87,
        lines: 90,
        'src/workflow/**': { statements: 84, branches: 70, functions: 85, lines: 85 },
        'src/csv/**': { statements: 92, branches: 86, functions: 90, lines: 93 },
      },
    },
  },
});
