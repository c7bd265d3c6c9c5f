// Helpers of the browser suite: launching Debian's Chromium, contexts that fail on page errors,
// named steps with timings, screenshots.
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const GAPI_STAND_IN = readFileSync(path.join(here, "gapi-iframes.js"), "utf8");

export const env = {
  baseUrl: required("E2E_BASE_URL"),
  chromium: process.env.E2E_CHROMIUM ?? "/usr/bin/chromium",
  screenshots: process.env.E2E_SCREENSHOTS ?? path.join(here, "out", "screenshots"),
  demoEmail: process.env.E2E_DEMO_EMAIL ?? "demo@crypto-pilot.dev",
  demoPassword: process.env.E2E_DEMO_PASSWORD ?? "demo-password",
};

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export async function launch() {
  mkdirSync(env.screenshots, { recursive: true });
  return chromium.launch({ executablePath: env.chromium, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

// Network failures are expected in some steps (a 404 for another user's bot, Google's fonts
// on the emulator's page): Chromium logs them as "Failed to load resource". Anything else
// logged as an error, and every uncaught exception, fails the scenario.
function isExpectedConsoleError(text) {
  return text.startsWith("Failed to load resource");
}

/** A fresh browser context (its own storage) whose pages record errors. */
export async function newContext(browser, options = {}) {
  const context = await browser.newContext({ baseURL: env.baseUrl, ...options });
  context.setDefaultTimeout(20_000);
  // apis.google.com is out of reach here: the Firebase SDK and the Auth emulator's iframe
  // get the stand-in (gapi-iframes.js says why).
  await context.route("https://apis.google.com/js/api.js*", (route) =>
    route.fulfill({ contentType: "text/javascript", body: GAPI_STAND_IN }),
  );
  const errors = [];
  context.on("console", (message) => {
    if (message.type() === "error" && !isExpectedConsoleError(message.text())) errors.push(`console: ${message.text()}`);
  });
  context.on("weberror", (error) => errors.push(`page error: ${error.error().message}`));
  context.on("dialog", (dialog) => {
    errors.push(`unexpected dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { context, errors };
}

export async function screenshot(page, name) {
  await page.screenshot({ path: path.join(env.screenshots, `${name}.png`), fullPage: true });
}

/** Run the scenario's steps in order, logging each with its time; name the failing one. */
export async function scenario(name, body) {
  const started = Date.now();
  let current = "start";
  const step = async (label, action) => {
    current = label;
    const at = Date.now();
    const result = await action();
    console.log(`  ok ${label} (${((Date.now() - at) / 1000).toFixed(1)} s)`);
    return result;
  };
  console.log(`SCENARIO ${name}`);
  try {
    await body(step);
    console.log(`PASS ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return true;
  } catch (error) {
    console.log(`FAIL ${name} at step "${current}": ${error instanceof Error ? error.stack : String(error)}`);
    return false;
  }
}

export function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

export function noErrors(errors) {
  assert(errors.length === 0, `errors in the browser:\n${errors.join("\n")}`);
}

/** The first money amount (two decimals) in a text ("$1,234.50", "1,234.50 USDT"). */
export function moneyValue(text) {
  const match = /-?\$?[\d,]*\d\.\d{2}(?!\d)/.exec(text);
  if (!match) throw new Error(`no amount in "${text}"`);
  return Number(match[0].replace(/[$,]/g, ""));
}
