// Settings only the host serving the app knows. Empty here (Vercel, `npm run dev`); the gateway
// answers this path itself when it serves the app (CRYPTOPILOT_WEB_DIR), e.g. with the URL of
// the demo's Firebase Auth emulator.
window.__CRYPTOPILOT_RUNTIME__ = {};
