import { vi } from 'vitest';

// Importing the real `electron` package under plain Node tries to download the binary and throws
// (electron >= 42 fetches lazily). Core code never imports it; the thin shell's tests get this fake.
vi.mock('electron', () => import('./fake-electron'));
