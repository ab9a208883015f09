// Prints the test totals of the last `npm test` run as one closing line: "N passed, N failed, N skipped".
import { readFileSync } from 'node:fs';

const results = JSON.parse(readFileSync(new URL('../.vitest-results.json', import.meta.url), 'utf8'));
const skipped = (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0);
console.log(`${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped`);
if (results.numTotalTests === 0 || results.numFailedTests > 0) process.exit(1);
