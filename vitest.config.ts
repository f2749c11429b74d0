import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts', 'test/hardening/capture.setup.ts'],
    // The leak scan: every log line of the run is captured, then scanned once all tests ran.
    globalSetup: ['test/hardening/capture.global.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
