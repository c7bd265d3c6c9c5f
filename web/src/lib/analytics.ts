/** PostHog, only when VITE_PUBLIC_POSTHOG_KEY is set; otherwise every call does nothing. */
import type { PostHog } from "posthog-js";
import { config } from "../config";

let client: Promise<PostHog> | null = null;

function posthog(): Promise<PostHog> | null {
  const settings = config.posthog;
  if (!settings) return null;
  client ??= import("posthog-js").then(({ default: instance }) => {
    instance.init(settings.key, { api_host: settings.host, capture_pageview: false, persistence: "localStorage" });
    return instance;
  });
  return client;
}

export function capturePageview(path: string): void {
  void posthog()?.then((instance) => instance.capture("$pageview", { $current_url: path }));
}

export function identify(userId: string): void {
  void posthog()?.then((instance) => instance.identify(userId));
}

export function resetAnalytics(): void {
  void posthog()?.then((instance) => instance.reset());
}
