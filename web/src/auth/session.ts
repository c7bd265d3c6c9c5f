/**
 * How the user signed in, kept across reloads: "jwt" (e-mail/password, refreshed through the
 * refresh cookie) or "firebase" (Google, refreshed by the Firebase SDK).
 */
import { ApiClient, localTokenStore } from "../api/client";
import { refreshAccessToken } from "../api/auth";
import { config } from "../config";
import { freshFirebaseToken } from "./firebase";

export type SessionKind = "jwt" | "firebase";
const KIND_KEY = "auth_kind";

export function sessionKind(): SessionKind {
  return window.localStorage.getItem(KIND_KEY) === "firebase" ? "firebase" : "jwt";
}

export function setSessionKind(kind: SessionKind | null): void {
  if (kind) window.localStorage.setItem(KIND_KEY, kind);
  else window.localStorage.removeItem(KIND_KEY);
}

const lostListeners = new Set<() => void>();

/** Call `listener` when the session can no longer be renewed. */
export function onSessionLost(listener: () => void): () => void {
  lostListeners.add(listener);
  return () => lostListeners.delete(listener);
}

/** The app's one client of the gateway. */
export const api: ApiClient = new ApiClient({
  baseUrl: config.apiUrl,
  tokens: localTokenStore,
  refresh: () => (sessionKind() === "firebase" ? freshFirebaseToken() : refreshAccessToken(api)),
  onSessionLost: () => lostListeners.forEach((listener) => listener()),
});
