// Opens a page of the book in headless Chromium, waits until the element
// #selftest holds a verdict, prints it, and optionally takes a screenshot.
// Exit status 0 only for "selftest ok" or "autorun done".
//
//   NODE_PATH=target/browser-driver/node_modules \
//     node examples/browser/driver.cjs URL [SCREENSHOT.png]
//
// Needs playwright-core (only the driver, no browser download: it drives the
// Debian package's /usr/bin/chromium); .ci/browser.sh installs both.
"use strict";
const { chromium } = require("playwright-core");

async function main() {
  const [url, screenshot] = process.argv.slice(2);
  if (!url) throw new Error("usage: driver.cjs URL [SCREENSHOT.png]");
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url);
    const verdict = /^(selftest (ok|FAIL)|autorun done)/;
    // A shown error ends the wait (a page that cannot load its module never
    // writes a verdict), except in ?errors, which shows errors on purpose.
    const stopOnError = !new URL(url).searchParams.has("errors");
    let line = "";
    try {
      await page.waitForFunction(
        ([re, stop]) => new RegExp(re).test(document.getElementById("selftest")?.textContent || "")
          || (stop && !document.getElementById("rnn-error")?.hidden),
        [verdict.source, stopOnError], { timeout: 180000 });
      line = await page.textContent("#selftest");
    } catch (e) {
      line = `selftest FAIL: no verdict (${e.message.split("\n")[0]})`;
    }
    const error = await page.textContent("#rnn-error");
    if (!verdict.test(line)) line = `selftest FAIL: the page says: ${error || "(nothing)"}`;
    if (errors.length) line += ` [page errors: ${errors.join("; ")}]`;
    if (screenshot) {
      await page.waitForTimeout(300); // the last drawing
      await page.locator("#rnn-trainer").screenshot({ path: screenshot });
    }
    console.log(line);
    process.exitCode = /^(selftest ok|autorun done)/.test(line) && !errors.length ? 0 : 1;
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(`driver: ${e.message}`);
  process.exit(2);
});
