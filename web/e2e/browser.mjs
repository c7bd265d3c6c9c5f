// The browser suite: every scenario of issue 17 against a running demo (tests/web/test_browser.py
// starts it). Uses only the accessible names of the UI contract (docs/web.md).
// Prints "PASS <scenario>" / "FAIL <scenario> at step ..." and exits non-zero on any failure.
import { assert, env, launch, moneyValue, newContext, noErrors, scenario, screenshot } from "./lib.mjs";

const TRADE_TIMEOUT_MS = 240_000;
const PROVISION_TIMEOUT_MS = 180_000;
const suffix = Date.now().toString(36);
const user = { name: `erin${suffix}`, email: `erin.${suffix}@example.com`, password: "erin-password-1" };
const bots = [`${user.name}-bot-a`, `${user.name}-bot-b`];

async function balance(page) {
  await page.getByRole("link", { name: "Wallet", exact: true }).click();
  const shown = page.getByTestId("wallet-balance");
  await shown.waitFor();
  return moneyValue(await shown.innerText());
}

async function waitForBalance(page, expected) {
  const shown = page.getByTestId("wallet-balance");
  await page.waitForFunction(
    ([element, want]) => {
      const digits = element?.textContent?.replace(/[^\d.-]/g, "") ?? "";
      return Math.abs(Number(digits) - want) < 0.011;
    },
    [await shown.elementHandle(), expected],
  );
}

async function provision(page, instanceId, allocation, step) {
  await page.getByRole("link", { name: "Bots", exact: true }).click();
  await page.getByRole("link", { name: "New bot" }).click();
  await page.getByRole("heading", { name: "New bot" }).waitFor();
  await page.getByLabel("Bot name").fill(instanceId);
  await page.getByLabel("Strategy").selectOption("SandboxScalp1m");
  await page.getByLabel("Stake currency").selectOption("USDT");
  await page.getByLabel("Timeframe").selectOption("1m");
  const pairs = page.getByRole("group", { name: "Pairs" });
  await pairs.getByLabel("BTC/USDT", { exact: true }).waitFor();
  for (const box of await pairs.getByRole("checkbox").all()) await box.uncheck();
  await pairs.getByLabel("BTC/USDT", { exact: true }).check();
  await pairs.getByLabel("ETH/USDT", { exact: true }).check();
  await page.getByLabel("Stake amount").fill("50");
  await page.getByLabel("Max open trades").fill("2");
  await page.getByLabel("Allocation").fill(String(allocation));
  if (instanceId === bots[0]) await step("new-bot screenshot", () => screenshot(page, "new-bot"));
  await page.getByRole("button", { name: "Provision bot" }).click();
  await page.waitForURL(`**/bots/${instanceId}`, { timeout: PROVISION_TIMEOUT_MS });
  await page.getByRole("heading", { name: instanceId, exact: true }).waitFor();
}

async function newUser(browser) {
  const { context, errors } = await newContext(browser);
  const page = await context.newPage();
  return scenario("new user", async (step) => {
    await step("sign up", async () => {
      await page.goto("/signup");
      await screenshot(page, "signup");
      await page.getByLabel("Username").fill(user.name);
      await page.getByLabel("E-mail").fill(user.email);
      await page.getByLabel("Password").fill(user.password);
      await page.getByRole("button", { name: "Sign up" }).click();
      await page.waitForURL("**/login");
    });
    await step("log in", async () => {
      await screenshot(page, "login");
      await page.getByLabel("E-mail").fill(user.email);
      await page.getByLabel("Password").fill(user.password);
      await page.getByRole("button", { name: "Log in" }).click();
      await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    });
    await step("a reload keeps the session", async () => {
      await page.reload();
      await page.getByRole("heading", { name: "Dashboard" }).waitFor();
      assert(!page.url().endsWith("/login"), "sent back to /login after a reload");
    });
    await step("deposit 500", async () => {
      const before = await balance(page);
      const form = page.getByRole("form", { name: "Deposit" });
      await form.getByLabel("Deposit amount").fill("500");
      await form.getByRole("button", { name: "Deposit" }).click();
      await waitForBalance(page, before + 500);
    });
    await step("provision two bots", async () => {
      await provision(page, bots[0], 300, step);
      await provision(page, bots[1], 200, step);
    });
    await step("dashboard: both bots, stream live", async () => {
      await page.getByRole("link", { name: "Dashboard", exact: true }).click();
      for (const bot of bots) await page.getByTestId(`bot-card-${bot}`).waitFor();
      await page.getByTestId("stream-state").filter({ hasText: "Live" }).waitFor({ timeout: 30_000 });
    });
    await step("a trade appears through the stream", async () => {
      // No reload from here on: only the SSE stream can bring the position in.
      const rows = page.locator(bots.map((bot) => `[data-testid^="position-${bot}-"]`).join(", "));
      await rows.first().waitFor({ timeout: TRADE_TIMEOUT_MS });
      await screenshot(page, "dashboard");
    });
    await step("risk level: validation, then saved", async () => {
      await page.goto(`/bots/${bots[0]}`);
      await page.getByRole("heading", { name: "Risk settings" }).waitFor();
      const level = page.getByLabel("Risk level");
      await level.fill("150");
      await page.getByRole("button", { name: "Save risk settings" }).click();
      await page.getByRole("alert").filter({ hasText: /risk level/i }).first().waitFor();
      await level.fill("70");
      await page.getByRole("button", { name: "Save risk settings" }).click();
      await page.getByText("Risk settings saved").waitFor();
      await page.reload();
      await page.getByLabel("Risk level").waitFor();
      await page.waitForFunction(() => {
        const input = [...document.querySelectorAll("input")].find((element) => element.labels?.[0]?.textContent?.trim() === "Risk level");
        return input?.value === "70";
      });
      await screenshot(page, "bot");
    });
    let walletBefore = 0;
    await step("wallet before the delete", async () => {
      walletBefore = await balance(page);
    });
    await step("stop the first bot", async () => {
      await page.getByRole("link", { name: "Bots", exact: true }).click();
      await page.getByRole("button", { name: `Stop ${bots[0]}` }).click();
      await page.getByTestId(`bot-row-${bots[0]}`).filter({ hasText: /stopped/i }).waitFor({ timeout: 60_000 });
    });
    let returned = 0;
    await step("delete the second bot: money back", async () => {
      await page.getByRole("button", { name: `Delete ${bots[1]}` }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByRole("button", { name: "Delete bot" }).click();
      const notice = page.getByRole("status").filter({ hasText: "returned to your wallet" });
      await notice.waitFor({ timeout: 60_000 });
      returned = moneyValue(await notice.innerText());
      assert(returned > 0, `returned ${returned}`);
      await page.getByTestId(`bot-row-${bots[1]}`).waitFor({ state: "detached" });
      await screenshot(page, "bots");
    });
    await step("the wallet grew by the money returned", async () => {
      const after = await balance(page);
      assert(Math.abs(after - (walletBefore + returned)) < 0.011, `wallet ${walletBefore} + ${returned} != ${after}`);
      await screenshot(page, "wallet");
    });
    await step("log out", async () => {
      await page.getByRole("button", { name: "Log out" }).click();
      await page.waitForURL("**/login");
      await page.goto("/dashboard");
      await page.waitForURL("**/login");
    });
    noErrors(errors);
  }).finally(() => context.close());
}

async function google(browser) {
  const { context, errors } = await newContext(browser);
  const page = await context.newPage();
  return scenario("google", async (step) => {
    await step("sign in on the emulator's Google page", async () => {
      await page.goto("/login");
      const [popup] = await Promise.all([page.waitForEvent("popup"), page.getByRole("button", { name: "Continue with Google" }).click()]);
      await popup.getByText("Add new account").click();
      await popup.locator("#email-input").fill(`gina.${suffix}@example.com`);
      await popup.locator("#display-name-input").fill("Gina Google");
      await popup.locator("#sign-in").click();
      await page.getByRole("heading", { name: "Dashboard" }).waitFor();
      await page.getByText("Gina Google").first().waitFor();
    });
    await step("no bots of the other user", async () => {
      await page.getByRole("link", { name: "Bots", exact: true }).click();
      await page.getByRole("heading", { name: "Bots" }).waitFor();
      await page.getByRole("link", { name: "New bot" }).first().waitFor();
      assert((await page.locator('[data-testid^="bot-row-"]').count()) === 0, "another user's bots are listed");
      await page.goto(`/bots/${bots[0]}`);
      await page.getByText(/not found/i).first().waitFor();
      assert((await page.getByRole("heading", { name: bots[0], exact: true }).count()) === 0, "another user's bot page shows");
    });
    noErrors(errors);
  }).finally(() => context.close());
}

async function login(page, email, password) {
  await page.goto("/login");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
}

async function demoAdmin(browser) {
  const { context, errors } = await newContext(browser);
  const page = await context.newPage();
  return scenario("demo admin", async (step) => {
    await step("the demo user's three bots", async () => {
      await login(page, env.demoEmail, env.demoPassword);
      for (const bot of ["demo-scalp", "demo-emarsi", "demo-scalp-eur"]) await page.getByTestId(`bot-card-${bot}`).waitFor();
    });
    await step("operators: the demo pool", async () => {
      await page.getByRole("link", { name: "Operators", exact: true }).click();
      await page.getByRole("heading", { name: "Pool demo" }).waitFor();
      await screenshot(page, "operators");
    });
    await step("strategies", async () => {
      await page.getByRole("link", { name: "Strategies", exact: true }).click();
      const table = page.getByRole("table", { name: "Strategies" });
      await table.getByText("SandboxScalp1m").first().waitFor();
      await screenshot(page, "strategies");
    });
    noErrors(errors);
  }).finally(() => context.close());
}

async function phoneWidth(browser) {
  const { context, errors } = await newContext(browser, { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  return scenario("phone width", async (step) => {
    const noSideScroll = async (name) => {
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert(width <= 376, `${name} scrolls sideways: ${width}px wide at 375px`);
    };
    await step("dashboard", async () => {
      await login(page, env.demoEmail, env.demoPassword);
      await page.getByTestId("bot-card-demo-scalp").waitFor();
      await noSideScroll("dashboard");
      await screenshot(page, "dashboard-phone");
    });
    await step("bots", async () => {
      await page.getByRole("link", { name: "Bots", exact: true }).click();
      await page.getByTestId("bot-row-demo-scalp").waitFor();
      await noSideScroll("bots");
    });
    noErrors(errors);
  }).finally(() => context.close());
}

const browser = await launch();
const results = [];
try {
  for (const run of [newUser, google, demoAdmin, phoneWidth]) results.push(await run(browser));
} finally {
  await browser.close();
}
process.exit(results.every(Boolean) ? 0 : 1);
