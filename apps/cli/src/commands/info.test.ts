import { afterAll, describe, expect, it } from 'vitest';
import { removeDirectory, runCli, temporaryDirectory } from '../test-cli.js';

const cwd = temporaryDirectory('info');
afterAll(() => removeDirectory(cwd));

interface InfoReport {
  versions: { myelin: string; cli: string };
  machine: { node: string; cpu: string };
  backends: { name: string; packageName: string; installed: boolean; usable: boolean; reason?: string }[];
}

describe('myelin info (the built binary)', () => {
  it('reports versions, the machine and every installed backend, with the reason when one is not usable', async () => {
    const json = await runCli(['info', '--json'], cwd);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as InfoReport;
    expect(report.versions.myelin).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.machine.node).toBe(process.version);
    const names = report.backends.map((b) => b.name);
    expect(names.slice(0, 4)).toEqual(['cpu-reference', 'wasm', 'webgpu', 'cuda']);
    expect(report.backends[0]).toMatchObject({
      packageName: '@myelin/backend-cpu-reference',
      installed: true,
      usable: true,
    });
    for (const backend of report.backends) if (!backend.usable) expect(backend.reason, backend.name).toMatch(/\S/);

    const text = await runCli(['info'], cwd);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Myelin \d+\.\d+\.\d+ \(@myelin\/cli /);
    expect(text.stdout).toMatch(/\n {2}cpu-reference +usable +@myelin\/backend-cpu-reference /);
    for (const backend of report.backends.filter((b) => !b.usable)) {
      expect(text.stdout).toMatch(new RegExp(`\\n {2}${backend.name} +(not installed|not usable) `));
    }
  });
});
