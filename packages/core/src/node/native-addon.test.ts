import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadNativeAddon, nativeAddonPath } from './native-addon.js';

const dirs: string[] = [];
const scratchDir = (): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'myelin-native-addon-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('nativeAddonPath', () => {
  it('takes the override, else the sanitizer build when asked, else the plain one', () => {
    const paths = { plain: '/p/native/a.node', sanitized: '/p/native-asan/a.node' };
    expect(nativeAddonPath({ override: '/elsewhere/a.node', sanitize: true, ...paths })).toBe('/elsewhere/a.node');
    expect(nativeAddonPath({ override: '', sanitize: true, ...paths })).toBe(paths.sanitized);
    expect(nativeAddonPath({ override: undefined, sanitize: false, ...paths })).toBe(paths.plain);
  });
});

describe('loadNativeAddon', () => {
  it('says a missing addon was not built, with the advice', () => {
    const file = path.join(scratchDir(), 'myelin_x.node');
    const result = loadNativeAddon(file, { built: 'myelin_x.node', advice: 'install g++' });
    expect(result.addon).toBeUndefined();
    expect(result.error).toBe(`the native addon ${file} is missing (it was not built); install g++`);
  });

  it("quotes the build's BUILD-FAILED.txt beside a missing addon", () => {
    const dir = scratchDir();
    writeFileSync(path.join(dir, 'BUILD-FAILED.txt'), 'no C++ compiler\n');
    const file = path.join(dir, 'myelin_x.node');
    expect(loadNativeAddon(file, { built: 'myelin_x.node' }).error).toBe(
      `the native addon ${file} is missing (the build said: no C++ compiler)`,
    );
    // An override named otherwise is not the build's output: its folder's marker is not about it.
    const other = path.join(dir, 'custom.node');
    expect(loadNativeAddon(other, { built: 'myelin_x.node' }).error).toContain('(it was not built)');
  });

  it('reports a file that does not load as an addon', () => {
    const file = path.join(scratchDir(), 'myelin_x.node');
    writeFileSync(file, 'not a shared library');
    const result = loadNativeAddon(file, { built: 'myelin_x.node', advice: 'rebuild it' });
    expect(result.error).toMatch(/^the native addon .* did not load \(.+\); rebuild it$/);
  });
});
