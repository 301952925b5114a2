// Starts reqlite (the npm RethinkDB stand-in) on 127.0.0.1:PORT exactly, for the store tests.
// Usage: NODE_PATH=<folder with reqlite in it> node reqlite-launcher.js PORT
//
// Why not reqlite's own command line: it listens on every interface and adds 28015 to the port.
// Two corrections are made here, before reqlite's server object is built:
//  1. every listen() of this process binds 127.0.0.1, and a busy port ends the process (exit 1);
//  2. NOREPLY_WAIT (query type 4) is answered with WAIT_COMPLETE (response type 4), as a real
//     server does; reqlite answers an atom, which makes the Python driver's close() fail.
"use strict";
const net = require("net");

const port = parseInt(process.argv[2], 10);
if (!(port > 0 && port < 65536)) {
  process.stderr.write("usage: node reqlite-launcher.js PORT\n");
  process.exit(2);
}

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (requestedPort, ...rest) {
  const onListening = typeof rest[rest.length - 1] === "function" ? rest.pop() : undefined;
  this.once("error", (error) => {
    process.stderr.write(`reqlite: cannot listen on 127.0.0.1:${requestedPort}: ${error.message}\n`);
    process.exit(1);
  });
  return listen.call(this, requestedPort, "127.0.0.1", () => {
    process.stdout.write(`reqlite listening on 127.0.0.1:${requestedPort}\n`);
    if (onListening) onListening();
  });
};

const Connection = require("reqlite/lib/connection.js");
const NOREPLY_WAIT = 4; // Query.QueryType.NOREPLY_WAIT
const WAIT_COMPLETE = 4; // Response.ResponseType.WAIT_COMPLETE
const handleQuery = Connection.prototype.handleQuery;
Connection.prototype.handleQuery = function (token, queryStr) {
  let queryType;
  try {
    queryType = JSON.parse(queryStr)[0];
  } catch (_error) {
    queryType = undefined; // let reqlite report the malformed query itself
  }
  if (queryType === NOREPLY_WAIT) {
    // every query is answered before the next one is read, so nothing is ever pending
    this.send(token, { t: WAIT_COMPLETE, r: [] });
    return;
  }
  handleQuery.call(this, token, queryStr);
};

const Server = require("reqlite");
new Server({ "driver-port": port, silent: true });

for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
