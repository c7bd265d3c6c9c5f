/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The dev server proxies the gateway so `npm run dev` works without CORS set-up:
// CRYPTOPILOT_GATEWAY_URL (default the demo's gateway on 18000).
const gateway = process.env.CRYPTOPILOT_GATEWAY_URL ?? "http://127.0.0.1:18000";

export default defineConfig({
  plugins: [react()],
  server: {
    host: "127.0.0.1",
    port: 5174,
    proxy: {
      "/api": { target: gateway, changeOrigin: false },
      "/ws": { target: gateway, ws: true },
    },
  },
  build: {
    outDir: process.env.CRYPTOPILOT_WEB_OUT_DIR ?? "dist",
    emptyOutDir: true,
    sourcemap: true,
  },
  test: {
    environment: "jsdom",
    include: ["tests/**/*.test.ts", "tests/**/*.test.tsx"],
    restoreMocks: true,
  },
});
