// Command convox drives a rack: apps, builds, releases, environment,
// scaling, logs, instances and the rack itself.
package main

import (
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], newIO(os.Stdin, os.Stdout, os.Stderr, os.Getenv)))
}
