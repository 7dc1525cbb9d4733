package buildspec_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/rackhq/rack/pkg/buildspec"
	"github.com/rackhq/rack/pkg/manifest"
	"github.com/rackhq/rack/pkg/testkit/examples"
)

// The builds the tests render.
const (
	registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	build    = "BABCDEFGHIJ"
	previous = "BPREVIOUS01"
)

// repository is the example app's repository.
func repository(example string) string {
	return registry + "/production/" + example
}

// source is where the example app's source was uploaded.
func source(example string) string {
	return "s3://production-bucket/sources/" + example + "/SKLMNOPQRST.tar.gz"
}

// options is how each example is built in the goldens and the runs: a
// first build, a rebuild with its cache, build arguments, an uncached
// build of a manifest in a subdirectory.
func options(t *testing.T, example string) buildspec.Options {
	o := buildspec.Options{Repository: repository(example), Build: build, Source: source(example)}
	switch example {
	case "web-worker":
	case "image":
		o.Previous = previous
	case "build-options":
		o.Previous = previous
		o.BuildArgs = []string{"COMMIT", "NPM_TOKEN"}
	case "nested":
		o.Dir = "app"
		o.NoCache = true
	case "image-web", "two-built":
	case "scaled", "timers":
		o.Previous = previous
	default:
		t.Fatalf("no options for example %s: add its case", example)
	}
	return o
}

// load reads an example's manifest.
func load(t *testing.T, example string) manifest.Manifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(examples.Path(example), examples.Manifest(example)))
	require.NoError(t, err)
	m, err := manifest.Parse(data)
	require.NoError(t, err)
	return m
}

// render renders an example's buildspec with its options.
func render(t *testing.T, example string) []byte {
	t.Helper()
	spec, err := buildspec.Render(load(t, example), options(t, example))
	require.NoError(t, err)
	return spec
}

// TestGolden compares each example's buildspec with
// testdata/<example>.yml, as data. UPDATE_GOLDEN=1 rewrites the files;
// review their diff.
func TestGolden(t *testing.T) {
	for _, example := range examples.Names() {
		t.Run(example, func(t *testing.T) {
			got := render(t, example)
			file := filepath.Join("testdata", example+".yml")
			if os.Getenv("UPDATE_GOLDEN") == "1" {
				require.NoError(t, os.MkdirAll("testdata", 0o755))
				require.NoError(t, os.WriteFile(file, got, 0o644))
			}
			want, err := os.ReadFile(file)
			require.NoError(t, err, "no golden buildspec: run UPDATE_GOLDEN=1 go test ./pkg/buildspec")
			require.Equal(t, parse(t, want), parse(t, got),
				"the buildspec changed: run UPDATE_GOLDEN=1 go test ./pkg/buildspec and review the diff")
		})
	}
}

// doc is a buildspec as CodeBuild reads it.
type doc struct {
	Version any `yaml:"version"`
	Env     struct {
		Shell string `yaml:"shell"`
	} `yaml:"env"`
	Phases map[string]struct {
		OnFailure string   `yaml:"on-failure"`
		Commands  []string `yaml:"commands"`
	} `yaml:"phases"`
}

// phaseOrder is the order CodeBuild runs the phases Render writes.
var phaseOrder = []string{"install", "pre_build", "build", "post_build"}

func parse(t *testing.T, data []byte) doc {
	t.Helper()
	var d doc
	require.NoError(t, yaml.Unmarshal(data, &d))
	return d
}

// TestEveryPhaseAborts: a failed phase ends the build, so a failed build
// phase never reaches post_build's pushes.
func TestEveryPhaseAborts(t *testing.T) {
	for _, example := range examples.Names() {
		d := parse(t, render(t, example))
		require.Equal(t, 0.2, d.Version, example)
		require.Equal(t, "bash", d.Env.Shell, example)
		require.Len(t, d.Phases, len(phaseOrder), example)
		for _, name := range phaseOrder {
			p, ok := d.Phases[name]
			require.True(t, ok, "%s: no %s phase", example, name)
			require.Equal(t, "ABORT", p.OnFailure, "%s: %s", example, name)
			require.NotEmpty(t, p.Commands, "%s: %s", example, name)
		}
	}
}

// TestNoBuildArgumentValue: a build argument is named in the buildspec,
// never given a value there.
func TestNoBuildArgumentValue(t *testing.T) {
	text := string(render(t, "build-options"))
	require.Contains(t, text, "--build-arg NPM_TOKEN ")
	require.Contains(t, text, "--build-arg COMMIT ")
	require.NotContains(t, text, "NPM_TOKEN=")
	require.NotContains(t, text, "COMMIT=")
}

// TestRootDir: "" and "." both name the source's root.
func TestRootDir(t *testing.T) {
	m := load(t, "web-worker")
	o := options(t, "web-worker")
	root, err := buildspec.Render(m, o)
	require.NoError(t, err)
	o.Dir = "."
	dot, err := buildspec.Render(m, o)
	require.NoError(t, err)
	require.Equal(t, string(root), string(dot))
}

// TestManifestArgumentGivenAtBuild: a build argument given to the build
// takes the place of the manifest's value of the same name, and is passed
// once.
func TestManifestArgumentGivenAtBuild(t *testing.T) {
	m := manifest.Manifest{Services: []manifest.Service{{
		Name:  "web",
		Build: manifest.Build{Path: ".", Manifest: "Dockerfile", Args: []string{"NODE_ENV=production", "LEVEL=3", "NODE_ENV=test"}},
	}}}
	o := options(t, "web-worker")
	o.BuildArgs = []string{"LEVEL", "EXTRA"}
	spec, err := buildspec.Render(m, o)
	require.NoError(t, err)
	require.Contains(t, string(spec),
		"--build-arg BUILDKIT_INLINE_CACHE=1 --build-arg NODE_ENV=production --build-arg LEVEL --build-arg EXTRA -t ")
}

// TestNoServices: a manifest without services builds and pushes nothing,
// and still makes a buildspec CodeBuild takes.
func TestNoServices(t *testing.T) {
	spec, err := buildspec.Render(manifest.Manifest{}, options(t, "web-worker"))
	require.NoError(t, err)
	d := parse(t, spec)
	for _, name := range phaseOrder {
		require.NotEmpty(t, d.Phases[name].Commands, name)
	}
	require.NotContains(t, string(spec), "docker build")
	require.NotContains(t, string(spec), "docker push")
}

// TestRenderErrors: what cannot be built is an error naming where it is,
// and every problem is reported at once.
func TestRenderErrors(t *testing.T) {
	built := func(path, dockerfile string, args ...string) manifest.Manifest {
		return manifest.Manifest{Services: []manifest.Service{{
			Name: "web", Build: manifest.Build{Path: path, Manifest: dockerfile, Args: args},
		}}}
	}
	pulled := func(image string) manifest.Manifest {
		return manifest.Manifest{Services: []manifest.Service{{Name: "cache", Image: image}}}
	}
	good := built(".", "Dockerfile")
	cases := []struct {
		name   string
		m      manifest.Manifest
		change func(*buildspec.Options)
		want   []string
	}{
		{"path outside the source", built("../elsewhere", "Dockerfile"), nil,
			[]string{`services.web.build.path: "../elsewhere" is outside the source`}},
		{"absolute path", built("/etc", "Dockerfile"), nil,
			[]string{`services.web.build.path: "/etc" is not a relative path`}},
		{"Dockerfile outside the source", built("app", "../../Dockerfile"), nil,
			[]string{`services.web.build.manifest: "../../Dockerfile" is outside the source`}},
		{"newline in a path", built("app\ntouch x", "Dockerfile"), nil,
			[]string{`services.web.build.path: "app\ntouch x" is not a relative path`}},
		{"bad argument", built(".", "Dockerfile", "1X=y", "A B"), nil,
			[]string{`services.web.build.args: "1X=y" is not NAME or NAME=value`, `services.web.build.args: "A B" is not NAME or NAME=value`}},
		{"image as an option", pulled("--all-tags"), nil,
			[]string{`services.cache.image: "--all-tags" is not an image name`}},
		{"newline in an image", pulled("redis\nrm -rf /"), nil,
			[]string{`services.cache.image: "redis\nrm -rf /" is not an image name`}},
		{"built and pulled", manifest.Manifest{Services: []manifest.Service{{Name: "web", Image: "redis", Build: manifest.Build{Path: "."}}}}, nil,
			[]string{"services.web: both build and image"}},
		{"service name", manifest.Manifest{Services: []manifest.Service{{Name: "Web App", Image: "redis"}}}, nil,
			[]string{`services.Web App: "Web App" is not a service name`}},
		{"manifest directory outside", good, func(o *buildspec.Options) { o.Dir = "../up" },
			[]string{`manifest directory: "../up" is outside the source`}},
		{"absolute manifest directory", good, func(o *buildspec.Options) { o.Dir = "/app" },
			[]string{`manifest directory: "/app" is not a relative path`}},
		{"repository with a tag", good, func(o *buildspec.Options) { o.Repository += ":latest" },
			[]string{"repository: "}},
		{"repository without a host", good, func(o *buildspec.Options) { o.Repository = "app" },
			[]string{`repository: "app" is not a docker repository`}},
		{"no build", good, func(o *buildspec.Options) { o.Build = "" },
			[]string{`build: "" is not a build id`}},
		{"bad previous build", good, func(o *buildspec.Options) { o.Previous = "B1 B2" },
			[]string{`previous build: "B1 B2" is not a build id`}},
		{"source not on S3", good, func(o *buildspec.Options) { o.Source = "https://example.com/app.tgz" },
			[]string{`source: "https://example.com/app.tgz" is not an s3://bucket/key location`}},
		{"build argument name", good, func(o *buildspec.Options) { o.BuildArgs = []string{"NPM-TOKEN"} },
			[]string{`build argument: "NPM-TOKEN" is not a variable name`}},
		{"tag too long", good, func(o *buildspec.Options) { o.Build = "B" + strings.Repeat("x", 130) },
			[]string{"services.web: the image tag web.Bxxx", "longer than docker's 128 characters"}},
		{"several problems", built("/etc", "Dockerfile"), func(o *buildspec.Options) { o.Build = "" },
			[]string{`build: "" is not a build id`, `services.web.build.path: "/etc" is not a relative path`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := options(t, "web-worker")
			if c.change != nil {
				c.change(&o)
			}
			spec, err := buildspec.Render(c.m, o)
			require.Error(t, err)
			require.Nil(t, spec)
			for _, w := range c.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}
