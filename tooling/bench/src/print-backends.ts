// pnpm backends: prints which Myelin backends are usable on this machine, and why not.
import { formatBackendTable, listBackends } from './list-backends.js';

const reports = await listBackends();
console.log(formatBackendTable(reports));
if (process.argv.includes('--json')) console.log(JSON.stringify(reports, null, 2));
