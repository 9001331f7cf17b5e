#!/usr/bin/env node
// `pnpm test` runs this first: every system package that the tests need (the `tests` entries
// of tooling/setup/system-packages.txt) must be present, so a missing browser, EGL or dataset
// is one line naming it and the set-up command, not stack traces from deep inside a runner.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const listFile = path.join(root, 'tooling/setup/system-packages.txt');

/** Whether a path exists, where a `*` segment matches any one directory entry. */
function matches(pattern) {
  const segments = pattern.split('/').filter((segment) => segment !== '');
  const walk = (directory, index) => {
    if (index === segments.length) return true;
    const segment = segments[index];
    if (segment !== '*') {
      const next = path.join(directory, segment);
      return index === segments.length - 1 ? existsSync(next) : existsSync(next) && walk(next, index + 1);
    }
    let entries;
    try {
      entries = readdirSync(directory);
    } catch {
      return false;
    }
    return entries.some((entry) => walk(path.join(directory, entry), index + 1));
  };
  return walk('/', 0);
}

const overrides = { chromium: process.env.CHROMIUM_PATH };
const missing = [];
for (const line of readFileSync(listFile, 'utf8').split('\n')) {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) continue;
  const [name, need, file, ...what] = trimmed.split(/\s+/);
  if (need !== 'tests') continue;
  const checked = overrides[name] ?? file;
  if (!matches(checked)) missing.push({ name, checked, what: what.join(' ') });
}

if (missing.length > 0) {
  const described = missing.map(({ name, checked, what }) => `${name} (${what}; ${checked} is missing)`).join(', ');
  const names = missing.map((entry) => entry.name).join(' ');
  console.error(
    `pnpm test needs Debian packages that are not installed: ${described}. Run ./setup, or: apt-get install -y ${names}`,
  );
  process.exit(1);
}
