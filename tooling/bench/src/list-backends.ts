// Which Myelin backends can run here, and why not: each backend package's probe(), plus the two
// that always run. `pnpm backends` prints it; the CLI's `myelin info` can call listBackends().

export interface BackendReport {
  name: string;
  /** The npm package that provides it. */
  packageName: string;
  usable: boolean;
  reason?: string;
  details?: Record<string, string>;
}

interface ProbeResult {
  usable: boolean;
  reason?: string;
  details?: Record<string, string>;
}

async function probePackage(
  name: string,
  packageName: string,
  probe: () => Promise<ProbeResult>,
): Promise<BackendReport> {
  try {
    return { name, packageName, ...(await probe()) };
  } catch (error) {
    return { name, packageName, usable: false, reason: (error as Error).message };
  }
}

/** Probes every backend in turn (each may initialise its runtime: Dawn, the wasm module, libtensorflow). */
export async function listBackends(): Promise<BackendReport[]> {
  const reports: BackendReport[] = [];
  reports.push({
    name: 'cpu-reference',
    packageName: '@myelin/backend-cpu-reference',
    usable: true,
    details: { kernels: 'TypeScript', dtypes: 'float32, float64, int32, bool' },
  });
  reports.push(
    await probePackage('tfjs-cpu', '@myelin/backend-tfjs', async () => {
      const tf = await import('@tensorflow/tfjs');
      await tf.ready();
      return { usable: await tf.setBackend('cpu'), details: { tfjs: tf.version.tfjs } };
    }),
  );
  reports.push(
    await probePackage('wasm', '@myelin/backend-wasm', async () => (await import('@myelin/backend-wasm')).probe()),
  );
  reports.push(
    await probePackage('webgpu', '@myelin/backend-webgpu', async () =>
      (await import('@myelin/backend-webgpu')).probe(),
    ),
  );
  reports.push(
    await probePackage('cuda', '@myelin/backend-cuda', async () => (await import('@myelin/backend-cuda')).probe()),
  );
  return reports;
}

/** The report as a plain-text table: name, usable, and the adapter/device or the reason. */
export function formatBackendTable(reports: readonly BackendReport[]): string {
  const lines = ['backend        usable  details / reason', '-------------  ------  ----------------'];
  for (const report of reports) {
    const text = report.usable
      ? Object.entries(report.details ?? {})
          .map(([key, value]) => `${key}=${value}`)
          .join(', ')
      : (report.reason ?? 'unknown').replace(/\n\s*/g, ' | ');
    lines.push(`${report.name.padEnd(13)}  ${(report.usable ? 'yes' : 'no').padEnd(6)}  ${text}`);
  }
  return lines.join('\n');
}
