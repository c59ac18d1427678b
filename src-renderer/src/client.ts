/** The one API connection this page uses, shared by every store. */
import { connectApi } from './api';

export const api = connectApi();

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
