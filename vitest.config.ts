import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: [
      'test/setup.ts',
      'test/hardening/capture.setup.ts',
      'test/model/recorder.setup.ts',
    ],
    // The leak scan: every log line of the run is captured, then scanned once all tests ran.
    // The model check: every answer of the twin's Cognito API is checked against the model.
    globalSetup: ['test/hardening/capture.global.ts', 'test/model/recorder.global.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
