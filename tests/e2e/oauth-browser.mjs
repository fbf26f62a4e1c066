#!/usr/bin/env node
// The "system browser" of the OAuth end-to-end test: the app runs it with the
// authorization URL (RAPPORT_OAUTH_BROWSER). It does what a user's browser does on the
// test authorization server, which signs in at once: follows the redirects to the app's
// loopback listener and reads the page shown there. Each visit is appended as a JSON
// line to E2E_OAUTH_BROWSER_LOG for the test to check.
import { appendFileSync } from "node:fs";

const log = process.env.E2E_OAUTH_BROWSER_LOG;
let url = process.argv[2];
const urls = [];
let status = 0;
let body = "";
try {
  for (let hop = 0; hop < 5 && url; hop += 1) {
    urls.push(url);
    const response = await fetch(url, { redirect: "manual" });
    status = response.status;
    body = await response.text();
    const location = response.headers.get("location");
    url = status >= 300 && status < 400 && location ? new URL(location, url).href : null;
  }
} catch (error) {
  body = `browser error: ${error}`;
}
if (log) appendFileSync(log, `${JSON.stringify({ urls, status, body })}\n`);
