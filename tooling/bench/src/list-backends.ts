// Which Myelin backends can run here, and why not: every backend package's descriptor (core's
// BACKEND_PACKAGES) probed in priority order, plus tfjs's own CPU backend, the bench's anchor.
// `pnpm backends` prints it; the CLI's `myelin info` shows the same from the same descriptors.
import { byPriority, chooseBackend, describeChoice, loadBackendDescriptors, type BackendProbe } from '@myelin/core';

export interface BackendReport extends BackendProbe {
  name: string;
  /** The npm package that provides it. */
  packageName: string;
  /** Rank for an automatic choice; absent for a package that could not be loaded and for tfjs-cpu. */
  priority?: number;
}

async function safely(probe: () => Promise<BackendProbe>): Promise<BackendProbe> {
  try {
    return await probe();
  } catch (error) {
    return { usable: false, reason: (error as Error).message };
  }
}

/** Probes every backend in turn (each may initialise its runtime: Dawn, the wasm module, libtensorflow). */
export async function listBackends(): Promise<BackendReport[]> {
  const loaded = await loadBackendDescriptors((specifier) => import(specifier));
  const reports: BackendReport[] = [];
  const descriptors = loaded.flatMap((entry) => ('descriptor' in entry ? [entry.descriptor] : []));
  for (const descriptor of byPriority(descriptors)) {
    const { name, packageName, priority } = descriptor;
    reports.push({ name, packageName, priority, ...(await safely(() => descriptor.probe())) });
  }
  for (const entry of loaded) {
    if (!('descriptor' in entry))
      reports.push({ name: entry.name, packageName: entry.packageName, usable: false, reason: entry.problem });
  }
  reports.push({
    name: 'tfjs-cpu',
    packageName: '@myelin/backend-tfjs',
    ...(await safely(async () => {
      const tf = await import('@tensorflow/tfjs');
      await tf.ready();
      return {
        usable: await tf.setBackend('cpu'),
        details: { tfjs: tf.version.tfjs, note: 'the bench anchor, not a backend of its own' },
      };
    })),
  });
  return reports;
}

/** What --backend auto picks among the reports, and why. */
export async function autoChoice(reports: readonly BackendReport[]): Promise<string> {
  const ranked = reports.flatMap((r) => (r.priority === undefined ? [] : [{ ...r, priority: r.priority }]));
  return chooseBackend(ranked, async (r) => r).then(
    (choice) => `${choice.descriptor.name} (${describeChoice(choice)})`,
    (error: Error) => `none (${error.message})`,
  );
}

/** The report as a plain-text table: name, priority, usable, and the adapter/device or the reason. */
export function formatBackendTable(reports: readonly BackendReport[]): string {
  const lines = [
    'backend        priority  usable  details / reason',
    '-------------  --------  ------  ----------------',
  ];
  for (const report of reports) {
    const text = report.usable
      ? [
          ...(report.auto === false ? [`not for auto: ${report.reason ?? ''}`] : []),
          Object.entries(report.details ?? {})
            .map(([key, value]) => `${key}=${value}`)
            .join(', '),
        ].join('; ')
      : (report.reason ?? 'unknown').replace(/\n\s*/g, ' | ');
    const priority = report.priority === undefined ? '' : String(report.priority);
    lines.push(
      `${report.name.padEnd(13)}  ${priority.padEnd(8)}  ${(report.usable ? 'yes' : 'no').padEnd(6)}  ${text}`,
    );
  }
  return lines.join('\n');
}
