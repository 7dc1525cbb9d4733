// One program, three services: web (the shop, port 8080), api (inside the
// rack, port 9000) and admin (both, port 7000, which calls the api).
const http = require("http");

const role = process.argv[2] || "web";
const ports = { web: 8080, api: 9000, admin: 7000 };
const port = Number(process.env.PORT || ports[role]);

http
  .createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/plain" });
    if (req.url === "/health") {
      res.end("ok\n");
      return;
    }
    const api = role === "admin" ? ` (api at ${process.env.API_URL})` : "";
    res.end(`${role} of release ${process.env.RELEASE || "unknown"}${api}\n`);
  })
  .listen(port, () => console.log(`${role} listening on ${port}`));
