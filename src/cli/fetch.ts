// The read most commands start with: GET a JSON document from the agent, or print
// "<what>: <error>" (the Go client's wording of the error) and let the command exit 1.

import type { ApiClient, Query } from '../api/client.js';
import type { Ui } from './command.js';

export async function getJsonOrReport<T>(
  client: ApiClient,
  ui: Ui,
  what: string,
  path: string,
  query: Query = {},
): Promise<T | null> {
  try {
    return await client.getJson<T>(path, query);
  } catch (e) {
    ui.error(`${what}: ${(e as Error).message}`);
    return null;
  }
}
