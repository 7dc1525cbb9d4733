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
package examples

import (
	"path/filepath"
	"runtime"
	"slices"
)

// names lists the examples, in name order.
var names = []string{"build-options", "image", "nested", "web-worker"}

// manifests says where an example's manifest is, when it is not
// convox.yml at its root.
var manifests = map[string]string{"nested": "app/convox.yml"}

// Names returns the examples' names, in order.
func Names() []string {
	return slices.Clone(names)
}

// Dir returns the directory that holds the examples.
func Dir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("examples: the source file's path is unknown")
	}
	return filepath.Dir(file)
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
