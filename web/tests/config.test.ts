import { describe, expect, it } from "vitest";
import { readConfig } from "../src/config";

describe("readConfig", () => {
  it("defaults to the page's own origin (the gateway serving the app)", () => {
    const config = readConfig({}, false);
    expect(config.apiUrl).toBe("");
    expect(config.streamUrl).toBe("/api/freqtrade/api/stream");
    expect(config.posthog).toBeNull();
    expect(config.firebase.projectId).toBe("crypto-pilot-b2376");
    expect(config.firebase.emulatorUrl).toBeNull();
  });

  it("follows the contract's production variables (§1.1, §1.2)", () => {
    const env = { VITE_API_URL: "https://api.crypto-pilot.dev/", VITE_FREQTRADE_API_URL: "https://api.crypto-pilot.dev/api/freqtrade" };
    expect(readConfig(env, false)).toMatchObject({
      apiUrl: "https://api.crypto-pilot.dev",
      streamUrl: "https://api.crypto-pilot.dev/api/freqtrade/api/stream",
    });
    expect(readConfig(env, true).streamUrl).toBe("https://api.crypto-pilot.dev/api/freqtrade/stream");
  });

  it("mounts PostHog only with a key and reads the emulator", () => {
    const config = readConfig({ VITE_PUBLIC_POSTHOG_KEY: "phc_x", VITE_FIREBASE_AUTH_EMULATOR_URL: "http://127.0.0.1:9099" }, false);
    expect(config.posthog).toEqual({ key: "phc_x", host: "https://us.i.posthog.com" });
    expect(config.firebase.emulatorUrl).toBe("http://127.0.0.1:9099");
  });

  it("lets the serving host name the emulator at run time", () => {
    const config = readConfig({ VITE_FIREBASE_AUTH_EMULATOR_URL: "http://build:1" }, false, { firebaseAuthEmulatorUrl: "http://127.0.0.1:18099" });
    expect(config.firebase.emulatorUrl).toBe("http://127.0.0.1:18099");
  });
});
