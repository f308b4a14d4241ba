// Runs kinesalite for the tests, the benchmarks and the quickstart.
//
// Usage: node kinesalite-server.js <port>   (NODE_PATH must name the node_modules holding kinesalite)
//
// Why not kinesalite's own cli.js: its request handler rethrows any error of an incoming request
// (index.js: req.on('error', function(err) { throw err })), so one client that closes its
// connection while a request body is still arriving ("aborted", ECONNRESET) ends the whole
// process, and every later call of every test meets "Connection refused". Real Kinesis shrugs such
// a client off; so does this server. Any other uncaught error still ends it, with its stack.
'use strict'

const kinesalite = require('kinesalite')

const port = Number(process.argv[2])
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node kinesalite-server.js <port>')
  process.exit(64)
}

process.on('uncaughtException', (err) => {
  if (err && err.code === 'ECONNRESET' && err.message === 'aborted') {
    console.log(new Date().toISOString() + ' a client closed its connection mid-request: ignored')
    return
  }
  console.error(new Date().toISOString() + ' kinesalite failed:', err)
  process.exit(70)
})

const server = kinesalite({
  // Streams become ACTIVE at once instead of after kinesalite's default 500 ms.
  createStreamMs: 0,
  deleteStreamMs: 0,
  updateStreamMs: 0,
  shardLimit: 100,
})
// Node closes an idle connection after 5 s, the JDK's HTTP client reuses one for up to 5 s: the
// two timers race, and a request written onto a connection the server is closing is cut off.
// Outwaiting the clients lets them close their idle connections first.
server.keepAliveTimeout = 65000
server.headersTimeout = 66000

server.listen(port, '127.0.0.1', () => {
  const address = server.address()
  console.log('Listening at http://%s:%s', address.address, address.port)
})
