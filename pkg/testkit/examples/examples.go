// Package examples finds the example apps: real app directories, each with
// a convox.yml, its Dockerfiles and a little source, that tests build,
// upload and render buildspecs from.
//
//   - web-worker: web built from the root on port 3000, worker from worker/
//   - image: a service that runs redis:7 beside one that is built
//   - build-options: a build given as {path, manifest, args}, shared by two
//     services, and a timer
//   - nested: the manifest is in app/, not at the source's root; one build
//     reaches back to the root
//   - image-web: nginx as it is, on port 80; nothing is built
//   - scaled: autoscaled services with cpu, memory, requests and custom
//     targets, two domains, an internal service, one both internal and
//     external, a singleton, a link, policies
//   - timers: a worker with no port (an app that needs no router) and
//     timers on it, with schedules in cron's and EventBridge's forms
//   - two-built: two built services, web with a port and worker, and a
//     timer on worker
package examples

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
)

// names lists the examples, in name order.
var names = []string{"build-options", "image", "image-web", "nested", "scaled", "timers", "two-built", "web-worker"}

// manifests says where an example's manifest is, when it is not
// convox.yml at its root.
var manifests = map[string]string{"nested": "app/convox.yml"}

// Names returns the examples' names, in order.
func Names() []string {
	return slices.Clone(names)
}

// Dir returns the directory that holds the examples: beside this file, or,
// in a binary built with -trimpath (whose file names are not paths), under
// the module's root, found from the working directory up (a test runs in
// its package's directory).
func Dir() string {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		return filepath.Dir(file)
	}
	dir, err := os.Getwd()
	if err != nil {
		panic("examples: " + err.Error())
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "pkg", "testkit", "examples")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			panic("examples: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Path returns the directory of the example name: what `convox build`
// uploads.
func Path(name string) string {
	return filepath.Join(Dir(), name)
}

// Manifest returns where the example name's manifest is, relative to its
// directory, as `convox build --manifest` takes it.
func Manifest(name string) string {
	if m, ok := manifests[name]; ok {
		return m
	}
	return "convox.yml"
}
