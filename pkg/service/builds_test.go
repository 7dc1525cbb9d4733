package service_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/source"
)

// twoServices is a small app: web built here, worker from an image.
var twoServices = map[string]string{
	"convox.yml": "services:\n  web:\n    build: .\n    port: ${PORT}\n  worker:\n    image: redis:7\n",
	"Dockerfile": "FROM scratch\n",
}

// upload packs files as `convox build` does and uploads them for app,
// returning the source to build from.
func (w *world) upload(t *testing.T, app string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	opts := source.Options{}
	if _, ok := files["convox.yml"]; !ok {
		opts.Manifest = "other.yml" // what the source has instead
	}
	var tgz bytes.Buffer
	_, err := source.Pack(dir, &tgz, opts)
	require.NoError(t, err)
	up, err := w.builds.CreateUpload(context.Background(), app)
	require.NoError(t, err)
	require.Regexp(t, `^sources/`+app+`/[0-9a-f]{32}\.tgz$`, up.Source)
	w.sources.Put(up.Source, tgz.Bytes())
	return up.Source
}

// runningApp makes an app whose stack is up, with PORT=3000 set.
func (w *world) runningApp(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	_, err := w.apps.CreateApp(ctx, name)
	require.NoError(t, err)
	w.stacks.Settle()
	require.NoError(t, w.apps.ReconcileApps(ctx))
	env := rack.Environment{"PORT": "3000"}
	_, err = w.releases.CreateRelease(ctx, name, service.ReleaseOptions{Env: &env})
	require.NoError(t, err)
}

func TestCreateBuildStartsTheBuilder(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.runningApp(t, "web")
	src := w.upload(t, "web", twoServices)

	b, err := w.builds.CreateBuild(ctx, "web", service.BuildOptions{
		Source: src, Description: "first", BuildArgs: []string{"GO_VERSION=1.26", "EMPTY="},
	})
	require.NoError(t, err)
	require.Equal(t, rack.BuildCreated, b.Status)
	require.Equal(t, twoServices["convox.yml"], b.Manifest, "the manifest as written: ${PORT} is read at each release")
	require.Equal(t, "first", b.Description)
	require.NotEmpty(t, b.Job)
	require.NotEmpty(t, b.LogStream)

	require.Len(t, w.builder.Started, 1)
	job := w.builder.Started[0]
	require.Equal(t, b.ID, job.Build)
	require.Equal(t, map[string]string{
		"RACK": "dev", "APP": "web", "BUILD_ID": b.ID, "GO_VERSION": "1.26", "EMPTY": "",
	}, job.Variables, "build argument values reach the job's environment")
	spec := string(job.Buildspec)
	require.Contains(t, spec, "123456789012.dkr.ecr.us-east-1.amazonaws.com/dev/web")
	require.Contains(t, spec, "s3://sources/"+src)
	require.NotContains(t, spec, "1.26", "values never appear in the buildspec")

	got, err := w.builds.GetBuild(ctx, "web", b.ID)
	require.NoError(t, err)
	require.Equal(t, b, got)
}

func TestCreateBuildRefusesBadInputAndRecordsNothing(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.runningApp(t, "web")
	good := w.upload(t, "web", twoServices)
	bad := w.upload(t, "web", map[string]string{
		"convox.yml": "services:\n  web:\n    port: abc\n    scael: 2\n",
	})
	noManifest := w.upload(t, "web", map[string]string{"other.yml": "services: {}\n"})
	notTar := "sources/web/0123456789abcdef0123456789abcdef.tgz"
	w.sources.Put(notTar, []byte("not a tarball"))

	for _, tc := range []struct {
		name  string
		app   string
		opts  service.BuildOptions
		code  string
		words []string
	}{
		{"every manifest error at once", "web", service.BuildOptions{Source: bad}, rack.EINVALID,
			[]string{"convox.yml is not valid", "services.web.port", `services.web.scael: unknown key`, "scale"}},
		{"no manifest", "web", service.BuildOptions{Source: noManifest}, rack.EINVALID, []string{"convox.yml not found in the source"}},
		{"another manifest path", "web", service.BuildOptions{Source: noManifest, Manifest: "other.yml"}, rack.EINVALID, []string{"other.yml is not valid"}},
		{"not an archive", "web", service.BuildOptions{Source: notTar}, rack.EINVALID, []string{"not a valid gzip'd tar"}},
		{"nothing uploaded", "web", service.BuildOptions{Source: "sources/web/ffffffffffffffffffffffffffffffff.tgz"}, rack.EINVALID, []string{"upload the source first"}},
		{"another app's source", "other", service.BuildOptions{Source: good}, rack.ENOTFOUND, []string{"app not found: other"}},
		{"not a source key", "web", service.BuildOptions{Source: "../etc/passwd"}, rack.EINVALID, []string{"is not an upload of app web"}},
		{"manifest outside the source", "web", service.BuildOptions{Source: good, Manifest: "../convox.yml"}, rack.EINVALID, []string{"not a clean path"}},
		{"absolute manifest", "web", service.BuildOptions{Source: good, Manifest: "/convox.yml"}, rack.EINVALID, []string{"not a clean path"}},
		{"build argument without a value", "web", service.BuildOptions{Source: good, BuildArgs: []string{"NAME"}}, rack.EINVALID, []string{"not NAME=VALUE"}},
		{"build argument with a bad name", "web", service.BuildOptions{Source: good, BuildArgs: []string{"1X=2"}}, rack.EINVALID, []string{"invalid environment variable name"}},
		{"build argument the builder sets", "web", service.BuildOptions{Source: good, BuildArgs: []string{"BUILD_ID=x"}}, rack.EINVALID, []string{"the builder's own"}},
		{"a long description", "web", service.BuildOptions{Source: good, Description: strings.Repeat("x", 1025)}, rack.EINVALID, []string{"at most 1024"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.builds.CreateBuild(ctx, tc.app, tc.opts)
			requireCode(t, tc.code, err)
			for _, word := range tc.words {
				require.Contains(t, err.Error(), word)
			}
		})
	}
	bs, _, err := w.builds.ListBuilds(ctx, "web", rack.Page{})
	require.NoError(t, err)
	require.Empty(t, bs, "nothing recorded")
	require.Empty(t, w.builder.Started, "nothing started")
}

func TestCreateBuildWhenTheBuilderFails(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.runningApp(t, "web")
	src := w.upload(t, "web", twoServices)
	w.builder.StartErr = errors.New("throttled")
	_, err := w.builds.CreateBuild(ctx, "web", service.BuildOptions{Source: src})
	requireCode(t, rack.EINTERNAL, err)
	bs, _, err := w.builds.ListBuilds(ctx, "web", rack.Page{})
	require.NoError(t, err)
	require.Len(t, bs, 1)
	require.Equal(t, rack.BuildFailed, bs[0].Status, "nothing is left in flight")
	require.Contains(t, bs[0].Reason, "the builder did not start: throttled")
}

// TestTheJobsFirstEventMayComeFirst: CodeBuild's IN_PROGRESS event can
// move the build before the API records its job; the job is recorded on
// the build as it is then, and the build stays running.
func TestTheJobsFirstEventMayComeFirst(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.runningApp(t, "web")
	src := w.upload(t, "web", twoServices)
	w.builder.OnStart = func(job rack.BuildJob) {
		_, err := w.builds.ApplyBuildProgress(ctx, job.App, job.Build, service.BuildProgress{Status: rack.BuildRunning, LogGroup: "/from-event", LogStream: "s"})
		require.NoError(t, err)
	}
	b, err := w.builds.CreateBuild(ctx, "web", service.BuildOptions{Source: src})
	require.NoError(t, err)
	require.Equal(t, rack.BuildRunning, b.Status)
	require.Equal(t, "builder:"+strings.ToLower(b.ID), b.Job)
	require.Equal(t, "/from-event", b.LogGroup, "where the event said")
}

func TestCreateBuildNeedsARunningApp(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	_, err := w.apps.CreateApp(ctx, "web")
	require.NoError(t, err)
	_, err = w.builds.CreateBuild(ctx, "web", service.BuildOptions{Source: "sources/web/ffffffffffffffffffffffffffffffff.tgz"})
	requireCode(t, rack.ECONFLICT, err)
	require.Contains(t, err.Error(), "app web is creating")
}

func TestTheSweepCompletesBuilds(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.runningApp(t, "web")
	ok, err := w.builds.CreateBuild(ctx, "web", service.BuildOptions{Source: w.upload(t, "web", twoServices)})
	require.NoError(t, err)
	bad, err := w.builds.CreateBuild(ctx, "web", service.BuildOptions{Source: w.upload(t, "web", twoServices)})
	require.NoError(t, err)

	require.NoError(t, w.builds.ReconcileBuilds(ctx))
	b, err := w.builds.GetBuild(ctx, "web", ok.ID)
	require.NoError(t, err)
	require.Equal(t, rack.BuildCreated, b.Status, "a job not running yet changes nothing")

	w.builder.Finish(ok.ID, rack.BuildComplete, "")
	w.builder.Finish(bad.ID, rack.BuildFailed, "BUILD: COMMAND_EXECUTION_ERROR: docker build exited 1")
	for range 2 { // a second sweep changes nothing
		require.NoError(t, w.builds.ReconcileBuilds(ctx))
	}
	b, err = w.builds.GetBuild(ctx, "web", ok.ID)
	require.NoError(t, err)
	require.Equal(t, rack.BuildComplete, b.Status)
	require.Equal(t, service.BuildReleaseID(ok.ID), b.Release)
	r, env, err := w.releases.GetRelease(ctx, "web", b.Release)
	require.NoError(t, err)
	require.Equal(t, ok.ID, r.Build)
	require.Equal(t, twoServices["convox.yml"], r.Manifest)
	require.Equal(t, rack.Environment{"PORT": "3000"}, env)

	b, err = w.builds.GetBuild(ctx, "web", bad.ID)
	require.NoError(t, err)
	require.Equal(t, rack.BuildFailed, b.Status)
	require.Equal(t, "BUILD: COMMAND_EXECUTION_ERROR: docker build exited 1", b.Reason)
	require.Empty(t, b.Release)
	require.False(t, b.Ended.IsZero())

	rs, _, err := w.releases.ListReleases(ctx, "web", rack.Page{})
	require.NoError(t, err)
	require.Len(t, rs, 2, "the environment's release and the build's, once")
	require.ElementsMatch(t, []string{"app:create success", "release:create success", "release:create success", "build:create success", "build:create error"}, w.events.Actions())
}

func TestAReleaseMadeBeforeACrashIsFoundAgain(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.runningApp(t, "web")
	b, err := w.builds.CreateBuild(ctx, "web", service.BuildOptions{Source: w.upload(t, "web", twoServices)})
	require.NoError(t, err)
	// The release was made, and the build not marked, when the last
	// attempt died.
	r, created, err := w.releases.ReleaseBuild(ctx, b)
	require.NoError(t, err)
	require.True(t, created)
	b, err = w.builds.ApplyBuildProgress(ctx, "web", b.ID, service.BuildProgress{Status: rack.BuildComplete})
	require.NoError(t, err)
	require.Equal(t, r.ID, b.Release)
	rs, _, err := w.releases.ListReleases(ctx, "web", rack.Page{})
	require.NoError(t, err)
	require.Len(t, rs, 2, "no second release of the build")
}

func TestABuildNeverStartedFails(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.runningApp(t, "web")
	_, err := w.store.CreateBuild(ctx, rack.Build{App: "web", ID: "BQQQQQQQQQQ", Status: rack.BuildCreated})
	require.NoError(t, err)
	require.NoError(t, w.builds.ReconcileBuilds(ctx))
	b, err := w.builds.GetBuild(ctx, "web", "BQQQQQQQQQQ")
	require.NoError(t, err)
	require.Equal(t, rack.BuildCreated, b.Status, "the API may still be starting it")
	w.clock.Advance(6 * time.Minute)
	require.NoError(t, w.builds.ReconcileBuilds(ctx))
	b, err = w.builds.GetBuild(ctx, "web", "BQQQQQQQQQQ")
	require.NoError(t, err)
	require.Equal(t, rack.BuildFailed, b.Status)
	require.Equal(t, "the builder never started the build", b.Reason)
}

func TestOnlyTheNewestBuildsStay(t *testing.T) {
	ctx := context.Background()
	w := newWorld() // keeps 3 builds an app
	w.runningApp(t, "web")
	var ids []string
	for range 5 {
		w.clock.Advance(time.Second)
		b, err := w.builds.CreateBuild(ctx, "web", service.BuildOptions{Source: w.upload(t, "web", twoServices)})
		require.NoError(t, err)
		ids = append(ids, b.ID)
	}
	// The first build is the active release's: it stays whatever its age.
	w.builder.Finish(ids[0], rack.BuildComplete, "")
	require.NoError(t, w.builds.ReconcileBuilds(ctx))
	first, err := w.builds.GetBuild(ctx, "web", ids[0])
	require.NoError(t, err)
	app, err := w.store.GetApp(ctx, "web")
	require.NoError(t, err)
	app.Release = first.Release
	_, err = w.store.UpdateApp(ctx, app, app.Status)
	require.NoError(t, err)
	// The second failed; the last three are in flight.
	w.builder.Finish(ids[1], rack.BuildFailed, "BUILD failed")
	require.NoError(t, w.builds.ReconcileBuilds(ctx))
	w.builder.Finish(ids[4], rack.BuildComplete, "")
	require.NoError(t, w.builds.ReconcileBuilds(ctx))

	bs, _, err := w.builds.ListBuilds(ctx, "web", rack.Page{})
	require.NoError(t, err)
	var kept []string
	for _, b := range bs {
		kept = append(kept, b.ID)
	}
	require.Equal(t, []string{ids[4], ids[3], ids[2], ids[0]}, kept)
	require.Equal(t, []string{"web:web." + ids[1], "web:worker." + ids[1]}, w.images.Deleted)
}

func TestBuildLogsPage(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.runningApp(t, "web")
	b, err := w.builds.CreateBuild(ctx, "web", service.BuildOptions{Source: w.upload(t, "web", twoServices)})
	require.NoError(t, err)
	page, err := w.builds.ReadBuildLog(ctx, "web", b.ID, "", 0)
	require.NoError(t, err)
	require.Empty(t, page.Events)
	require.Equal(t, rack.BuildCreated, page.Status)

	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	w.logs.Write(b.LogGroup, b.LogStream, at, "Building web\n", "Step 1/1 : FROM scratch\n", "Pushing web\n")
	page, err = w.builds.ReadBuildLog(ctx, "web", b.ID, "", 2)
	require.NoError(t, err)
	require.Equal(t, []rack.LogEvent{{Time: at, Message: "Building web\n"}, {Time: at, Message: "Step 1/1 : FROM scratch\n"}}, page.Events)
	page, err = w.builds.ReadBuildLog(ctx, "web", b.ID, page.Next, 2)
	require.NoError(t, err)
	require.Equal(t, []rack.LogEvent{{Time: at, Message: "Pushing web\n"}}, page.Events)

	_, err = w.builds.ReadBuildLog(ctx, "web", b.ID, "", service.MaxLogPage+1)
	requireCode(t, rack.EINVALID, err)
	_, err = w.builds.ReadBuildLog(ctx, "web", "BZZZZZZZZZZ", "", 0)
	requireCode(t, rack.ENOTFOUND, err)
}
