import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup/electron-mock.ts', 'test/setup/end-processes.ts'],
    // Fails the run if a test left a process running (after killing it).
    globalSetup: ['test/setup/process-guard.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Black-box CLI tests spawn processes; two workers match the 2-core CI machine.
    maxWorkers: 2,
  },
});
