import { afterAll, describe, expect, it } from 'vitest';
import { removeDirectory, runCli, temporaryDirectory } from '../test-cli.js';

const cwd = temporaryDirectory('info');
afterAll(() => removeDirectory(cwd));

interface InfoReport {
  versions: { myelin: string; cli: string };
  machine: { node: string; cpu: string };
  backends: {
    name: string;
    packageName: string;
    priority?: number;
    installed: boolean;
    usable: boolean;
    auto?: boolean;
    reason?: string;
  }[];
  auto: { backend: string | null; reason: string };
}

describe('myelin info (the built binary)', () => {
  it('reports versions, the machine and every installed backend, with the reason when one is not usable', async () => {
    const json = await runCli(['info', '--json'], cwd);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as InfoReport;
    expect(report.versions.myelin).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.machine.node).toBe(process.version);
    const names = report.backends.map((b) => b.name);
    for (const name of ['cpu-reference', 'wasm', 'webgpu', 'cuda', 'cpu']) expect(names).toContain(name);
    expect(names).not.toContain('tfjs'); // a building block: no descriptor
    expect(report.backends.find((b) => b.name === 'cpu-reference')).toMatchObject({
      packageName: '@myelin/backend-cpu-reference',
      priority: 10,
      installed: true,
      usable: true,
    });
    // Installed backends come highest priority first; auto is the first usable one that allows it.
    const ranked = report.backends.filter((b) => b.priority !== undefined);
    expect(ranked.map((b) => b.priority)).toEqual(ranked.map((b) => b.priority).sort((a, b) => b! - a!));
    expect(report.auto.backend).toBe(ranked.find((b) => b.usable && b.auto !== false)!.name);
    expect(report.auto.reason).toMatch(/^auto: highest-priority usable backend/);
    for (const backend of report.backends) if (!backend.usable) expect(backend.reason, backend.name).toMatch(/\S/);

    const text = await runCli(['info'], cwd);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Myelin \d+\.\d+\.\d+ \(@myelin\/cli /);
    expect(text.stdout).toMatch(/\n {2}cpu-reference +10 +usable +@myelin\/backend-cpu-reference /);
    expect(text.stdout).toContain(`\n--backend auto: ${report.auto.backend} (auto: highest-priority usable backend`);
    for (const backend of report.backends.filter((b) => !b.usable)) {
      expect(text.stdout).toMatch(new RegExp(`\\n {2}${backend.name} +(\\d+ +)?(not installed|not usable) `));
    }
  });
});
