// The web service: says which commit it runs.
const http = require("http");

http
  .createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end(`commit ${process.env.COMMIT || "unknown"} (${process.env.NODE_ENV})\n`);
  })
  .listen(3000);
