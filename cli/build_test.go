package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/testkit/storetest"
)

// appDir writes an app's directory: its files by relative name.
func appDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	return dir
}

var webWorker = map[string]string{
	"convox.yml":        "services:\n  web:\n    build: .\n    port: 3000\n  worker:\n    build: ./worker\n",
	"Dockerfile":        "FROM scratch\n",
	"worker/Dockerfile": "FROM scratch\n",
	".dockerignore":     "tmp\n",
	"tmp/big":           "left out\n",
}

// buildRuns makes the builder run each started build to status, writing
// lines to its log, when convox next waits.
func buildRuns(r *rackServer, tm *term, status rack.BuildStatus, reason string, lines ...string) {
	tm.onSleep = func() {
		ctx := context.Background()
		for _, job := range r.builder.Started {
			b, err := r.store.GetBuild(ctx, job.App, job.Build)
			if err != nil || b.Status.Finished() {
				continue
			}
			r.buildLogs.Write(b.LogGroup, b.LogStream, r.clock.Now(), lines...)
			r.builder.Finish(job.Build, status, reason)
		}
		if err := r.builds.ReconcileBuilds(ctx); err != nil {
			panic(err)
		}
	}
}

func TestBuild(t *testing.T) {
	r, tm := loggedIn(t, "myapp")
	r.settle()
	dir := appDir(t, webWorker)
	buildRuns(r, tm, rack.BuildComplete, "", "Building web\n", "Building worker")
	// Ids come in order: the build takes the next one, its release the
	// build's letters.
	build := storetest.ID("B", 1)
	tm.ok("", []string{"build", dir, "-a", "myapp", "-d", "first"}, lines(
		"Packaging source... OK",
		"Uploading source... OK",
		"Starting build... OK",
		"Building web",
		"Building worker",
		"Build:   "+build,
		"Release: R"+build[1:],
	), "")
	b, err := r.store.GetBuild(context.Background(), "myapp", build)
	require.NoError(t, err)
	require.Equal(t, "first", b.Description)
	require.Equal(t, webWorker["convox.yml"], b.Manifest)
	job := r.builder.Started[0]
	require.Contains(t, string(job.Buildspec), "worker")

	// The builds list and its logs, after.
	tm.ok("", []string{"builds", "logs", build, "-a", "myapp"}, "Building web\nBuilding worker\n", "")
	res := tm.run("", "builds", "-a", "myapp")
	require.Equal(t, exitOK, res.code)
	require.Regexp(t, `\n`+build+`  complete  R`+build[1:]+`  `, res.stdout)

	// --id: progress on stderr, the release alone on stdout.
	build2 := storetest.ID("B", 2)
	tm.ok("", []string{"build", dir, "-a", "myapp", "--id", "--no-cache", "--build-args", "A=1", "--build-args", "B=2,3"}, "R"+build2[1:], lines(
		"Packaging source... OK",
		"Uploading source... OK",
		"Starting build... OK",
		"Building web",
		"Building worker",
		"Build:   "+build2,
		"Release: R"+build2[1:],
	))
	job = r.builder.Started[1]
	require.Equal(t, "1", job.Variables["A"])
	require.Equal(t, "2,3", job.Variables["B"], "one value a flag, commas and all, as Convox takes them")
	require.Contains(t, string(job.Buildspec), "--no-cache")
}

func TestBuildFails(t *testing.T) {
	r, tm := loggedIn(t, "myapp")
	r.settle()
	dir := appDir(t, webWorker)
	buildRuns(r, tm, rack.BuildFailed, "BUILD: COMMAND_EXECUTION_ERROR: Error while executing command: docker build. Reason: exit status 1", "Building web\n", "error: no such file\n")
	tm.fails("", []string{"build", dir, "-a", "myapp"}, lines(
		"Packaging source... OK",
		"Uploading source... OK",
		"Starting build... OK",
		"Building web",
		"error: no such file",
	), "ERROR: build failed: BUILD: COMMAND_EXECUTION_ERROR: Error while executing command: docker build. Reason: exit status 1\n")
}

func TestBuildChecksTheManifestFirst(t *testing.T) {
	r, tm := loggedIn(t, "myapp")
	r.settle()
	dir := appDir(t, map[string]string{
		"convox.yml": "services:\n  web:\n    port: abc\n    scael: 2\ntimers:\n  t:\n    schedule: '* * * * *'\n    command: x\n    service: nope\n",
	})
	res := tm.run("", "build", dir, "-a", "myapp")
	require.Equal(t, exitError, res.code)
	require.Empty(t, res.stdout, "nothing is packed or sent")
	require.Regexp(t, `^ERROR: convox.yml is not valid:\n`, res.stderr)
	require.Contains(t, res.stderr, "services.web.port: ")
	require.Contains(t, res.stderr, "services.web.scael: ")
	require.Contains(t, res.stderr, "timers.t.service: ")
	require.Empty(t, r.builder.Started)

	empty := t.TempDir()
	tm.fails("", []string{"build", empty, "-a", "myapp"}, "", "ERROR: no convox.yml in "+empty+"\n")
	tm.fails("", []string{"build", "a", "b"}, "", "ERROR: no more than 1 arg expected\n")
}

func TestBuildWithAnotherManifest(t *testing.T) {
	r, tm := loggedIn(t, "myapp")
	r.settle()
	dir := appDir(t, map[string]string{"convox.prod.yml": "services:\n  web:\n    port: 3000\n", "Dockerfile": "FROM scratch\n"})
	buildRuns(r, tm, rack.BuildComplete, "")
	res := tm.run("", "build", dir, "-a", "myapp", "-m", "convox.prod.yml")
	require.Equal(t, exitOK, res.code, res.stderr)
	b, err := r.store.GetBuild(context.Background(), "myapp", storetest.ID("B", 1))
	require.NoError(t, err)
	require.Equal(t, "services:\n  web:\n    port: 3000\n", b.Manifest)
}

// TestBuildDescribesItsCommit: with no -d, a build of a clean git tree is
// described as Convox describes it: "build <commit> <subject>".
func TestBuildDescribesItsCommit(t *testing.T) {
	_, err := exec.LookPath("git")
	require.NoError(t, err, "git: the project is a git checkout, and Describe asks git")
	r, tm := loggedIn(t, "myapp")
	r.settle()
	dir := appDir(t, webWorker)
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.email=dev@example.org", "-c", "user.name=dev"}, args...)...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "first version")
	commit := git("rev-parse", "--short=10", "HEAD")
	buildRuns(r, tm, rack.BuildComplete, "")
	res := tm.run("", "build", dir, "-a", "myapp")
	require.Equal(t, exitOK, res.code, res.stderr)
	b, err := r.store.GetBuild(context.Background(), "myapp", storetest.ID("B", 1))
	require.NoError(t, err)
	require.Equal(t, "build "+commit+" first version", b.Description)

	// A tree with changes is not described.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\n"), 0o644))
	res = tm.run("", "build", dir, "-a", "myapp")
	require.Equal(t, exitOK, res.code, res.stderr)
	b, err = r.store.GetBuild(context.Background(), "myapp", storetest.ID("B", 2))
	require.NoError(t, err)
	require.Empty(t, b.Description)
}

// TestConcurrentEnvSetsKeepEveryKey: twenty `convox env set` at once, each
// of its own key, keep all twenty: a release made from a parent another
// change overtook is refused (409), and the command reads the environment
// again and makes its change again.
func TestConcurrentEnvSetsKeepEveryKey(t *testing.T) {
	_, tm := loggedIn(t, "myapp")
	var wg sync.WaitGroup
	results := make([]result, 20)
	for i := range 20 {
		wg.Go(func() {
			results[i] = tm.run("", "env", "set", fmt.Sprintf("K%02d=%d", i, i), "-a", "myapp")
		})
	}
	wg.Wait()
	for i, res := range results {
		require.Equal(t, exitOK, res.code, "env set K%02d: %s", i, res.stderr)
		require.Regexp(t, fmt.Sprintf(`^Setting K%02d\.\.\. OK\nRelease: R[A-Z]{10}\n$`, i), res.stdout)
	}
	res := tm.run("", "env", "-a", "myapp", "--json")
	require.Equal(t, exitOK, res.code, res.stderr)
	var env map[string]string
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &env))
	require.Len(t, env, 20, "every key kept")
	for i := range 20 {
		require.Equal(t, strconv.Itoa(i), env[fmt.Sprintf("K%02d", i)])
	}
}
