// Across "machines": one rank in each of two network namespaces joined by a veth pair, MPI over
// TCP only (scripts/netns-equivalence.sh), the same equivalence as equivalence.test.ts.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { probeMpi } from './probe.js';
import { mpirunAvailable } from './test-mpirun.js';

const script = fileURLToPath(new URL('../scripts/netns-equivalence.sh', import.meta.url));

/** Why namespaces cannot be used here, or null when they can (root, iproute2, a kernel that allows them). */
function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  const name = `myelin-probe-${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.error) return 'no iproute2';
  if (add.status !== 0) return `ip netns add failed: ${add.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', name]);
  return null;
}

const unavailable = !probeMpi().usable || !mpirunAvailable() ? 'no MPI' : netnsUnavailable();
if (unavailable) console.warn(`netns test skipped: ${unavailable}`);

function runScript(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe.skipIf(unavailable !== null)('two network namespaces, MPI over TCP', () => {
  const cases = [
    { BACKEND: 'cpu-reference', DTYPE: 'float64', TOLERANCE: '1e-10' },
    { BACKEND: 'cpu', DTYPE: 'float32', TOLERANCE: '1e-5' },
  ];
  for (const env of cases) {
    it(`2 ranks x 32 across a veth pair = 1 rank x 64 (${env.BACKEND}, ${env.DTYPE})`, async () => {
      const { code, output } = await runScript(env);
      console.log(
        output
          .split('\n')
          .filter((line) => line.startsWith('netns:'))
          .join('\n'),
      );
      expect(code, output).toBe(0);
      expect(output).toContain('rank 0 at 10.77.0.1, rank 1 at 10.77.0.2; 50 steps, 50 all-reduces');
      expect(output).toContain('replicas identical: true');
      expect(output).toContain('netns: PASS');
    });
  }
});
