/**
 * Entry of the `baton` command (`bin/baton.js` runs it).
 * @module
 */
import { main } from './program.js';

// A closed pipe (`baton history <run> | head`) ends the command quietly, as other tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const code = await main();
// Flush, then exit: a leftover timer in user code must not keep a finished command alive.
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
process.exit(code);
