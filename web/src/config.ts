/**
 * The app's configuration: build-time `VITE_*` variables (contract §1.1), same-origin by default,
 * and what the serving host says at run time (/runtime-config.js: the Firebase Auth emulator).
 */

export interface FirebaseSettings {
  apiKey: string;
  authDomain: string;
  projectId: string;
  /** `http://host:port` of a Firebase Auth emulator (tests and local runs), or null. */
  emulatorUrl: string | null;
}

export interface AppConfig {
  /** Base of every REST call, without a trailing slash; "" means the page's own origin. */
  apiUrl: string;
  /** The SSE portfolio stream (without the `?token=` query). */
  streamUrl: string;
  firebase: FirebaseSettings;
  posthog: { key: string; host: string } | null;
}

type Env = Partial<Record<keyof ImportMetaEnv, string | undefined>>;
export type Runtime = NonNullable<Window["__CRYPTOPILOT_RUNTIME__"]>;

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

/** The configuration for `env` (import.meta.env); `dev` is true under the Vite dev server. */
export function readConfig(env: Env, dev: boolean, runtime: Runtime = {}): AppConfig {
  const apiUrl = trimSlash(env.VITE_API_URL?.trim() ?? "");
  const freqtradeUrl = trimSlash(env.VITE_FREQTRADE_API_URL?.trim() || `${apiUrl}/api/freqtrade`);
  // Contract §1.2: the dev server streams from VITE_API_URL, a build from VITE_FREQTRADE_API_URL;
  // the gateway serves both paths.
  const streamUrl = dev ? `${apiUrl}/api/freqtrade/stream` : `${freqtradeUrl}/api/stream`;
  const projectId = env.VITE_FIREBASE_PROJECT_ID?.trim() || "crypto-pilot-b2376";
  const posthogKey = env.VITE_PUBLIC_POSTHOG_KEY?.trim() ?? "";
  return {
    apiUrl,
    streamUrl,
    firebase: {
      apiKey: env.VITE_FIREBASE_API_KEY?.trim() || "crypto-pilot-web",
      authDomain: env.VITE_FIREBASE_AUTH_DOMAIN?.trim() || `${projectId}.firebaseapp.com`,
      projectId,
      emulatorUrl: runtime.firebaseAuthEmulatorUrl || env.VITE_FIREBASE_AUTH_EMULATOR_URL?.trim() || null,
    },
    posthog: posthogKey
      ? { key: posthogKey, host: env.VITE_PUBLIC_POSTHOG_HOST?.trim() || "https://us.i.posthog.com" }
      : null,
  };
}

export const config: AppConfig = readConfig(import.meta.env, import.meta.env.DEV, typeof window === "undefined" ? {} : window.__CRYPTOPILOT_RUNTIME__);
