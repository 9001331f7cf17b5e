import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKEND_CONTRACT_VERSION, chooseBackend, describeChoice } from '@myelin/core';
import { probeMpi } from '@myelin/distributed';
import { listBackends } from '../backends.js';
import { table } from '../training/describe.js';
import { CLI_VERSION } from '../version.js';

/** The version in the package.json above a resolved module file. */
function versionOf(specifier: string): string {
  try {
    let directory = path.dirname(fileURLToPath(import.meta.resolve(specifier)));
    for (;;) {
      try {
        const manifest = JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as {
          name?: string;
          version?: string;
        };
        if (manifest.name === specifier) return manifest.version ?? '?';
      } catch {
        // keep looking upwards
      }
      const parent = path.dirname(directory);
      if (parent === directory) return '?';
      directory = parent;
    }
  } catch {
    return '?';
  }
}

/** `myelin info`: versions, the machine, and every backend with whether it works here (and why not). */
export async function info(options: { json: boolean }): Promise<number> {
  const cpus = os.cpus();
  const machine = {
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: `${cpus[0]?.model.trim() ?? 'unknown'} (${cpus.length} logical cores)`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
  };
  const versions = {
    myelin: versionOf('@myelin/core'),
    cli: CLI_VERSION,
    data: versionOf('@myelin/data'),
    backendContract: BACKEND_CONTRACT_VERSION,
  };
  const backends = await listBackends();
  // What --backend auto would pick, from the probes just made.
  const ranked = backends.flatMap((b) => (b.priority === undefined ? [] : [{ ...b, priority: b.priority }]));
  const auto = await chooseBackend(ranked, async (b) => b).then(
    (choice) => ({ backend: choice.descriptor.name, reason: describeChoice(choice) }),
    (error: Error) => ({ backend: null, reason: error.message }),
  );
  // Data-parallel training (mpirun -np N myelin train): whether the MPI binding loads here.
  const mpi = probeMpi();
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ versions, machine, backends, auto, mpi }, null, 2)}\n`);
    return 0;
  }
  let text = `Myelin ${versions.myelin} (@myelin/cli ${versions.cli}, @myelin/data ${versions.data}, backend contract v${versions.backendContract})\n`;
  text += `Node ${machine.node} on ${machine.platform}\n${machine.cpu}, ${machine.memory} memory\n\nBackends (--backend <name>; auto takes the usable one of highest priority):\n`;
  text += table([
    ['name', 'priority', 'status', 'package', 'details'],
    ...backends.map((b) => [
      b.name,
      b.priority === undefined ? '' : String(b.priority),
      !b.installed ? 'not installed' : !b.usable ? 'not usable' : b.auto === false ? 'usable, not auto' : 'usable',
      `${b.packageName}${b.version ? ` ${b.version}` : ''}`,
      b.usable
        ? clip([b.description, ...Object.entries(b.details ?? {}).map(([k, v]) => `${k}: ${v}`)].join('; '))
        : (b.reason ?? '').replace(/\s*\n\s*/g, ' | '),
    ]),
  ]);
  text += `\n--backend auto: ${auto.backend ?? 'none'} (${auto.reason})\n`;
  text += mpi.usable
    ? `MPI (mpirun -np N myelin train): usable, ${mpi.library}; launched ${mpi.details.launched}\n`
    : `MPI (mpirun -np N myelin train): not usable: ${mpi.reason}\n`;
  text += '(myelin info --json prints every detail)\n';
  process.stdout.write(text);
  return 0;
}

function clip(text: string): string {
  return text.length > 140 ? `${text.slice(0, 137)}...` : text;
}
