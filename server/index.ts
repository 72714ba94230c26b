// The Backplan language server: `node dist/server.js --stdio` (also --node-ipc / --socket=N, as
// vscode-languageserver reads them from argv).
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { keepMemoryLow } from './memory';
import { startServer } from './server';

const connection = createConnection(ProposedFeatures.all);

// A bug must not take the editor's server down with it: log and carry on.
process.on('uncaughtException', (e) => {
  try {
    connection.console.error(`uncaught: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  } catch {
    // the connection itself is gone
  }
});
process.on('unhandledRejection', (e) => {
  try {
    connection.console.error(`unhandled rejection: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  } catch {
    // the connection itself is gone
  }
});

keepMemoryLow();
startServer(connection);
