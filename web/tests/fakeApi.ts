/**
 * A stand-in for the app's `api` (src/auth/session.ts) in page tests: answers by "METHOD path",
 * records every call. Use with
 *   vi.mock("../src/auth/session", async () => (await import("./fakeApi")).sessionModule);
 */
import { ApiError } from "../src/api/client";

export interface Call {
  method: string;
  path: string;
  body?: unknown;
  query?: Record<string, unknown>;
}

export type Answer = (body: unknown, query: Record<string, number>) => unknown;

export const calls: Call[] = [];
export const answers = new Map<string, Answer>();

export function reset(): void {
  calls.length = 0;
  answers.clear();
}

function respond(method: string, path: string, body?: unknown, query?: Record<string, number>): Promise<unknown> {
  calls.push({ method, path, body, query });
  const answer = answers.get(`${method} ${path}`);
  if (!answer) return Promise.reject(new ApiError(404, `API endpoint not found: ${method} ${path}`, "NOT_FOUND", null));
  try {
    return Promise.resolve(answer(body, query ?? {}));
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

interface Options {
  query?: Record<string, number>;
}

export const sessionModule = {
  api: {
    get: (path: string, options?: Options) => respond("GET", path, undefined, options?.query),
    post: (path: string, body?: unknown, options?: Options) => respond("POST", path, body, options?.query),
    put: (path: string, body?: unknown) => respond("PUT", path, body),
    delete: (path: string) => respond("DELETE", path),
  },
};
