// pnpm backends: prints which Myelin backends are usable on this machine, and why not, with the
// priority each has for --backend auto and what auto picks here.
import { autoChoice, formatBackendTable, listBackends } from './list-backends.js';

const reports = await listBackends();
console.log(formatBackendTable(reports));
console.log(`\n--backend auto: ${await autoChoice(reports)}`);
if (process.argv.includes('--json')) console.log(JSON.stringify(reports, null, 2));
