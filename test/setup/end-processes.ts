import { afterAll, afterEach, beforeEach } from 'vitest';
import { endStarted, endTestProcesses, testBegins } from '../helpers/processes';

// Registered before any test file's hooks: the beforeEach runs first, the afterEach last (after
// the test's own cleanups have stopped what they stop gently), the afterAll last of the file.
beforeEach(testBegins);
afterEach(endTestProcesses);
afterAll(endStarted);
