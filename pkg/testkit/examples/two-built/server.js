// The web service: answers every request, and /health for the balancer.
const http = require("http");

const port = Number(process.env.PORT || 3000);

http
  .createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end(req.url === "/health" ? "ok\n" : `web of release ${process.env.RELEASE || "unknown"}\n`);
  })
  .listen(port, () => console.log(`listening on ${port}`));
