import { defineConfig } from 'vitest/config';

/**
 * The test tiers, as vitest projects. `npm test` runs them all (CI); `npm run test:quick` runs
 * the product's own code paths: unit and workflow (the real ASL and handlers on the twin), and
 * the leak scan over what they logged. The packaged template (deploy, which runs `osls`) has
 * its own command, `npm run test:deploy`.
 */
const tier = (name: string, include: string[], extra: object = {}) => ({
  extends: true,
  // Group 1, so that the load test (group 2) and then the leak scan (group 3) run after every
  // other project. (Left at 0, the tiers would join a group vitest may run last.)
  test: { name, include, sequence: { groupOrder: 1 }, ...extra },
});

export default defineConfig({
  test: {
    setupFiles: [
      'test/setup.ts',
      'test/hardening/capture.setup.ts',
      'test/model/recorder.setup.ts',
      'test/iam/recorder.setup.ts',
    ],
    // The leak scan's capture: every log line of the run goes to one file that the leak-scan
    // project reads once every other project is done (capture.global.ts names the file). The
    // model check: every answer of the twin's Cognito API is checked against the service model
    // (test/model; its summary is recorder.global.ts's). The least-privilege check: every call
    // the functions make is allowed by the packaged roles (unless a test means it to be
    // refused), and every action the roles grant is used (test/iam; recorder.global.ts).
    globalSetup: [
      'test/hardening/capture.global.ts',
      'test/model/recorder.global.ts',
      'test/iam/recorder.global.ts',
    ],
    // Two test files at a time: most of them wait on the twin's timers and sockets rather than
    // compute, and vitest's default on a 2-core machine (one worker) leaves a core idle.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      tier('unit', ['test/unit/**/*.test.ts']),
      tier('workflow', ['test/workflow/**/*.test.ts']),
      tier('deploy', ['test/deploy/**/*.test.ts']),
      tier('twin', ['test/twin/**/*.test.ts', 'test/model/**/*.test.ts', 'test/iam/**/*.test.ts']),
      tier('e2e', ['test/e2e/**/*.test.ts']),
      tier('hardening', ['test/hardening/**/*.test.ts'], {
        exclude: ['test/hardening/leak-scan.test.ts', 'test/hardening/load.test.ts'],
      }),
      // The load test measures latency: it runs alone, after the others, so that no other test
      // file competes with it for the two cores.
      tier('load', ['test/hardening/load.test.ts'], { sequence: { groupOrder: 2 } }),
      // Last, once every other project has written its log lines.
      tier('leak-scan', ['test/hardening/leak-scan.test.ts'], { sequence: { groupOrder: 3 } }),
    ],
    coverage: {
      provider: 'v8',
      // The product: the handlers and what they run. The CLI and the twin's host run mostly in
      // child processes (test/e2e), which coverage does not see; the twin is not the product.
      include: [
        'functions/**/*.ts',
        'src/aws/**/*.ts',
        'src/cognito/**/*.ts',
        'src/convert/**/*.ts',
        'src/csv/**/*.ts',
        'src/workflow/**/*.ts',
        'src/config.ts',
        'src/errors.ts',
      ],
      reporter: ['text-summary', 'html', 'json-summary'],
      reportsDirectory: 'coverage',
      // A little under what `npm run coverage` (the whole suite) reaches: 94.7 % statements,
      // 86.7 % branches, 94.5 % functions, 96.1 % lines; src/workflow 96.1/86.3/95.3/97.2, src/csv
      // 96.5/92.1/95.3/97.4. The quick tier alone reaches less.
      thresholds: {
        statements: 93,
        branches: 85,
        functions: 91,
        lines: 94,
        'src/workflow/**': { statements: 93, branches: 81, functions: 92, lines: 94 },
        'src/csv/**': { statements: 94, branches: 88, functions: 92, lines: 95 },
      },
    },
  },
});
