import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: [
      'test/setup.ts',
      'test/hardening/capture.setup.ts',
      'test/model/recorder.setup.ts',
      'test/iam/recorder.setup.ts',
    ],
    // The leak scan: every log line of the run is captured, then scanned once all tests ran.
    // The model check: every answer of the twin's Cognito API is checked against the model.
    // The least-privilege check: every call the functions make is allowed by the packaged roles
    // (unless a test means it to be refused), and every action the roles grant is used.
    globalSetup: [
      'test/hardening/capture.global.ts',
      'test/model/recorder.global.ts',
      'test/iam/recorder.global.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
