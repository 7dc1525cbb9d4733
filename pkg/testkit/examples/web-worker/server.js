// A web service: answers every request, and /health for the load balancer.
const http = require("http");

const port = Number(process.env.PORT || 3000);

http
  .createServer((req, res) => {
    if (req.url === "/health") {
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end("ok\n");
      return;
    }
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end(`hello from ${process.env.HOSTNAME || "web"}\n`);
  })
  .listen(port, () => console.log(`listening on ${port}`));
