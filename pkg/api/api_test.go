package api_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/api"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/testkit/fake"
	"github.com/rackhq/rack/pkg/testkit/memstore"
)

const password = "correct horse battery staple"

// harness is a server on httptest over the in-memory store, and a client
// of it whose every exchange is checked against openapi.yaml.
type harness struct {
	t      *testing.T
	url    string
	client *sdk.Client
	store  *memstore.Store
	stacks *fake.Stacks
	events *fake.Events
	logs   *bytes.Buffer
	// apps are the apps use cases behind the server, for a test to run the
	// sweep the releases function runs.
	apps *service.Apps
	// builds are the builds use cases, and sources, builder and buildLogs
	// the outside systems behind them.
	builds    *service.Builds
	sources   *fake.Sources
	builder   *fake.Builder
	buildLogs *fake.Logs
	// updates, values and layout are what promotions use.
	updates *fake.Updates
	values  *fake.EnvValues
	layout  *fake.Layout
	// promotions are the promotion use cases, for a test to settle.
	promotions *service.Promotions
	// running is ECS's side of the app's services, and tasks of its
	// processes.
	running *fake.Running
	tasks   *fake.Tasks
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, store: memstore.New(nil), stacks: fake.NewStacks(), events: &fake.Events{}, logs: &bytes.Buffer{}}
	log := api.Logger(slog.NewJSONHandler(&lockedWriter{w: h.logs}, nil))
	core := service.NewCore(service.CoreConfig{Rack: "test", Events: h.events, Log: log})
	h.apps = service.NewApps(core, h.store, h.stacks)
	releases := service.NewReleases(core, h.store, fake.Sealer{})
	h.sources, h.builder, h.buildLogs = fake.NewSources(), fake.NewBuilder(), fake.NewLogs()
	t.Cleanup(h.sources.Close)
	h.builds = service.NewBuilds(core, h.store, service.BuildPorts{
		Sources: h.sources, Builder: h.builder, Logs: h.buildLogs, Images: &fake.Images{}, Releaser: releases,
		Registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com",
	})
	h.updates, h.values, h.layout, h.running = fake.NewUpdates(time.Now), fake.NewEnvValues(), &fake.Layout{}, fake.NewRunning()
	h.promotions = service.NewPromotions(core, h.store, fake.Sealer{}, service.PromotePorts{Stacks: h.updates, Env: h.values, Layout: h.layout, Deployments: h.updates})
	h.tasks = fake.NewTasks(time.Now)
	services := service.NewServices(core, h.promotions, releases, h.running)
	srv := httptest.NewServer(api.New(api.Config{
		Apps:       h.apps,
		Builds:     h.builds,
		Releases:   releases,
		Promotions: h.promotions,
		Services:   services,
		Processes:  service.NewProcesses(core, services, h.tasks),
		System:     service.NewSystem(rack.System{Name: "test", Region: "us-east-1", Version: "1.0.0"}),
		Auth:       fake.Auth{Password: password}, Log: log, Version: "1.0.0",
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL
	h.client = h.newClient(password)
	return h
}

func (h *harness) newClient(pw string) *sdk.Client {
	c, err := sdk.New(h.url, pw, sdk.WithHTTPClient(&http.Client{Transport: validating{t: h.t, next: http.DefaultTransport}}), sdk.WithVersion("test"))
	require.NoError(h.t, err)
	return c
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func requireCode(t *testing.T, code string, err error) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, rack.ErrorCode(err), "error: %v", err)
}

func TestAppsFollowTheirStacks(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()

	app, err := h.client.AppCreate(ctx, "myapp")
	require.NoError(t, err)
	require.Equal(t, "creating", app.Status)

	_, err = h.client.AppCreate(ctx, "myapp")
	requireCode(t, rack.ECONFLICT, err)
	_, err = h.client.AppCreate(ctx, "My_App")
	requireCode(t, rack.EINVALID, err)
	require.Contains(t, err.Error(), "lowercase")

	h.stacks.Set("myapp", rack.AppRunning)
	app, err = h.client.AppGet(ctx, "myapp")
	require.NoError(t, err)
	require.Equal(t, "creating", app.Status, "a read does not look at the stack")
	require.NoError(t, h.apps.ReconcileApps(ctx))
	app, err = h.client.AppGet(ctx, "myapp")
	require.NoError(t, err)
	require.Equal(t, "running", app.Status, "the sweep catches the app up with its stack")

	apps, err := h.client.AppList(ctx)
	require.NoError(t, err)
	require.Len(t, apps, 1)
	require.Equal(t, "myapp", apps[0].Name)

	app, err = h.client.AppDelete(ctx, "myapp")
	require.NoError(t, err)
	require.Equal(t, "deleting", app.Status)
	app, err = h.client.AppDelete(ctx, "myapp")
	require.NoError(t, err, "deleting twice is fine")
	require.Equal(t, "deleting", app.Status)

	h.stacks.Set("myapp", "")
	require.NoError(t, h.apps.ReconcileApps(ctx))
	_, err = h.client.AppGet(ctx, "myapp")
	requireCode(t, rack.ENOTFOUND, err)
	apps, err = h.client.AppList(ctx)
	require.NoError(t, err)
	require.Empty(t, apps)
	_, err = h.store.GetApp(ctx, "myapp")
	requireCode(t, rack.ENOTFOUND, err)
	require.Equal(t, []string{"app:create success", "app:delete success"}, h.events.Actions(),
		"an app announces the end of its create and of its delete, once each")
}

func TestCreateAppLeavesNothingWhenTheStackFails(t *testing.T) {
	h := newHarness(t)
	h.stacks.CreateErr = errors.New("throttled: arn:aws:cloudformation:secret-detail")
	_, err := h.client.AppCreate(context.Background(), "myapp")
	requireCode(t, rack.EINTERNAL, err)
	require.Equal(t, "internal error", err.Error(), "AWS details stay in the log")
	require.Contains(t, h.logs.String(), "secret-detail")
	require.Regexp(t, `"msg":"app record left|"msg":"internal error","error":"create app myapp: throttled[^"]*","request_id":"[A-Z0-9]+"`, h.logs.String(), "the logged error carries the request id")

	_, err = h.store.GetApp(context.Background(), "myapp")
	requireCode(t, rack.ENOTFOUND, err)

	h.stacks.CreateErr = nil
	_, err = h.client.AppCreate(context.Background(), "myapp")
	require.NoError(t, err, "a retry succeeds")
}

func TestEnvironmentMakesReleases(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	_, err := h.client.AppCreate(ctx, "myapp")
	require.NoError(t, err)

	env, err := h.client.EnvironmentGet(ctx, "myapp")
	require.NoError(t, err)
	require.Empty(t, env)

	want := map[string]string{"A": "1", "B": "x=y", "MULTI": "line one\nline two", "EMPTY": ""}
	r1, err := h.client.ReleaseCreate(ctx, "myapp", sdk.ReleaseCreateOptions{Env: &want})
	require.NoError(t, err)
	require.True(t, rack.ValidID(rack.ReleaseIDPrefix, r1.ID), r1.ID)
	require.Equal(t, "env add:A,B,EMPTY,MULTI", r1.Description)
	require.Empty(t, r1.Env, "a new release does not echo its environment")

	env, err = h.client.EnvironmentGet(ctx, "myapp")
	require.NoError(t, err)
	require.Equal(t, want, env)

	got, err := h.client.ReleaseGet(ctx, "myapp", r1.ID)
	require.NoError(t, err)
	require.Equal(t, want, got.Env)

	// The store holds ciphertext only.
	stored, err := h.store.GetRelease(ctx, "myapp", r1.ID)
	require.NoError(t, err)
	require.NotContains(t, string(stored.Env), "x=y")

	next := map[string]string{"B": "x=y", "C": "3"}
	r2, err := h.client.ReleaseCreate(ctx, "myapp", sdk.ReleaseCreateOptions{Env: &next})
	require.NoError(t, err)
	require.Equal(t, "env add:C remove:A,EMPTY,MULTI", r2.Description)

	releases, err := h.client.ReleaseList(ctx, "myapp")
	require.NoError(t, err)
	require.Len(t, releases, 2)
	require.Equal(t, []string{r2.ID, r1.ID}, []string{releases[0].ID, releases[1].ID}, "newest first")
	for _, r := range releases {
		require.Empty(t, r.Env, "lists never carry environments")
	}

	bad := map[string]string{"1BAD": "x"}
	_, err = h.client.ReleaseCreate(ctx, "myapp", sdk.ReleaseCreateOptions{Env: &bad})
	requireCode(t, rack.EINVALID, err)
	_, err = h.client.ReleaseCreate(ctx, "myapp", sdk.ReleaseCreateOptions{})
	requireCode(t, rack.EINVALID, err)
	missing := "BAAAAAAAAAA"
	_, err = h.client.ReleaseCreate(ctx, "myapp", sdk.ReleaseCreateOptions{Build: &missing})
	requireCode(t, rack.ENOTFOUND, err)
	_, err = h.client.ReleaseCreate(ctx, "nope", sdk.ReleaseCreateOptions{Env: &next})
	requireCode(t, rack.ENOTFOUND, err)

	releases, err = h.client.ReleaseList(ctx, "myapp")
	require.NoError(t, err)
	require.Len(t, releases, 2, "refused releases wrote nothing")

	require.Equal(t, []string{"release:create success", "release:create success"}, h.events.Actions())
	require.NotContains(t, h.logs.String(), "x=y", "environment values are never logged")
	require.NotContains(t, h.logs.String(), "line two")
	require.NotContains(t, h.logs.String(), password)
}

// TestReleasesFromAStaleParentConflict: the environment names the release
// it is from; a release made from an older one is a 409 and records
// nothing.
func TestReleasesFromAStaleParentConflict(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	_, err := h.client.AppCreate(ctx, "myapp")
	require.NoError(t, err)
	env, parent, err := h.client.EnvironmentRelease(ctx, "myapp")
	require.NoError(t, err)
	require.Empty(t, env)
	require.Empty(t, parent, "no release yet")

	one := map[string]string{"A": "1"}
	r1, err := h.client.ReleaseCreate(ctx, "myapp", sdk.ReleaseCreateOptions{Env: &one, Parent: &parent})
	require.NoError(t, err)
	_, again, err := h.client.EnvironmentRelease(ctx, "myapp")
	require.NoError(t, err)
	require.Equal(t, r1.ID, again)

	stale := map[string]string{"B": "2"}
	_, err = h.client.ReleaseCreate(ctx, "myapp", sdk.ReleaseCreateOptions{Env: &stale, Parent: &parent})
	requireCode(t, rack.ECONFLICT, err)
	require.Contains(t, err.Error(), "its latest release is "+r1.ID)
	rs, err := h.client.ReleaseList(ctx, "myapp")
	require.NoError(t, err)
	require.Len(t, rs, 1, "nothing recorded")

	// No parent named: made from whatever is latest.
	r2, err := h.client.ReleaseCreate(ctx, "myapp", sdk.ReleaseCreateOptions{Env: &stale})
	require.NoError(t, err)
	got, err := h.client.ReleaseGet(ctx, "myapp", r2.ID)
	require.NoError(t, err)
	require.Equal(t, stale, got.Env)
}

func TestBuildsAndPaging(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	_, err := h.client.AppCreate(ctx, "myapp")
	require.NoError(t, err)
	for i := range 5 {
		_, err := h.store.CreateBuild(ctx, rack.Build{App: "myapp", ID: "B" + strings.Repeat(string(rune('A'+i)), 10), Status: rack.BuildCreated})
		require.NoError(t, err)
	}
	page, next, err := h.client.BuildListPage(ctx, "myapp", rack.Page{Limit: 2})
	require.NoError(t, err)
	require.Len(t, page, 2)
	require.NotEmpty(t, next)
	all, err := h.client.BuildList(ctx, "myapp")
	require.NoError(t, err)
	require.Len(t, all, 5)

	b, err := h.client.BuildGet(ctx, "myapp", "BCCCCCCCCCC")
	require.NoError(t, err)
	require.Equal(t, "created", b.Status)
	_, err = h.client.BuildGet(ctx, "myapp", "BZZZZZZZZZZ")
	requireCode(t, rack.ENOTFOUND, err)
	_, err = h.client.BuildList(ctx, "nope")
	requireCode(t, rack.ENOTFOUND, err)

	apps, next, err := h.client.AppListPage(ctx, rack.Page{Limit: 1})
	require.NoError(t, err)
	require.Len(t, apps, 1)
	require.Empty(t, next, "one app, one page")
	releases, next, err := h.client.ReleaseListPage(ctx, "myapp", rack.Page{Limit: 1})
	require.NoError(t, err)
	require.Empty(t, releases)
	require.Empty(t, next)

	_, _, err = h.client.BuildListPage(ctx, "myapp", rack.Page{Limit: 5000})
	requireCode(t, rack.EINVALID, err)
	_, err = h.client.Get(ctx, "/apps?limit=ten")
	requireCode(t, rack.EINVALID, err)
}

// TestBuildFromAnUpload: the source goes straight to storage, the build
// starts, its output pages, and the sweep completes it with a release.
func TestBuildFromAnUpload(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	_, err := h.client.AppCreate(ctx, "myapp")
	require.NoError(t, err)
	h.stacks.Settle()
	require.NoError(t, h.apps.ReconcileApps(ctx))

	up, err := h.client.SourceUploadCreate(ctx, "myapp")
	require.NoError(t, err)
	require.Regexp(t, `^sources/myapp/[0-9a-f]{32}\.tgz$`, up.Source)
	require.True(t, up.Expires.After(time.Now()))
	src := tarball(t, map[string]string{"convox.yml": "services:\n  web:\n    port: 3000\n"})
	req, err := http.NewRequest(http.MethodPut, up.URL, bytes.NewReader(src))
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)

	b, err := h.client.BuildCreate(ctx, "myapp", sdk.BuildCreateOptions{Source: up.Source, Description: "first"})
	require.NoError(t, err)
	require.Equal(t, "created", b.Status)
	require.Equal(t, "first", b.Description)

	logs, err := h.client.BuildLogs(ctx, "myapp", b.ID, "")
	require.NoError(t, err)
	require.Empty(t, logs.Events)
	require.Equal(t, "created", logs.Status)
	stored, err := h.store.GetBuild(ctx, "myapp", b.ID)
	require.NoError(t, err)
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	h.buildLogs.Write(stored.LogGroup, stored.LogStream, at, "Building web\n")
	logs, err = h.client.BuildLogs(ctx, "myapp", b.ID, "")
	require.NoError(t, err)
	require.Equal(t, []sdk.LogEvent{{Timestamp: at, Message: "Building web\n"}}, logs.Events)
	logs, err = h.client.BuildLogs(ctx, "myapp", b.ID, logs.Next)
	require.NoError(t, err)
	require.Empty(t, logs.Events)

	h.builder.Finish(b.ID, rack.BuildComplete, "")
	require.NoError(t, h.builds.ReconcileBuilds(ctx))
	b, err = h.client.BuildGet(ctx, "myapp", b.ID)
	require.NoError(t, err)
	require.Equal(t, "complete", b.Status)
	r, err := h.client.ReleaseGet(ctx, "myapp", b.Release)
	require.NoError(t, err)
	require.Equal(t, b.ID, r.Build)
	require.Equal(t, "services:\n  web:\n    port: 3000\n", r.Manifest)

	// A bad manifest: every error, nothing recorded.
	up, err = h.client.SourceUploadCreate(ctx, "myapp")
	require.NoError(t, err)
	h.sources.Put(up.Source, tarball(t, map[string]string{"convox.yml": "services:\n  web:\n    port: abc\n    health: {interval: x}\n"}))
	_, err = h.client.BuildCreate(ctx, "myapp", sdk.BuildCreateOptions{Source: up.Source})
	requireCode(t, rack.EINVALID, err)
	require.Contains(t, err.Error(), "services.web.port")
	require.Contains(t, err.Error(), "services.web.health.interval")
	all, err := h.client.BuildList(ctx, "myapp")
	require.NoError(t, err)
	require.Len(t, all, 1)

	_, err = h.client.SourceUploadCreate(ctx, "nope")
	requireCode(t, rack.ENOTFOUND, err)
	_, err = h.client.BuildLogs(ctx, "myapp", "BZZZZZZZZZZ", "")
	requireCode(t, rack.ENOTFOUND, err)
	_, err = h.client.Get(ctx, "/apps/myapp/builds/"+b.ID+"/logs?limit=0")
	requireCode(t, rack.EINVALID, err)
}

func TestSystemHealthAndAuth(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	sys, err := h.client.System(ctx)
	require.NoError(t, err)
	require.Equal(t, sdk.System{Name: "test", Provider: "aws", Region: "us-east-1", Status: "running", Version: "1.0.0",
		Domain: strings.TrimPrefix(h.url, "http://")}, sys, "the domain is where the request went")

	health, err := h.newClient("").Health(ctx)
	require.NoError(t, err)
	require.Equal(t, "ok", health.Status)

	a, err := h.client.Auth(ctx)
	require.NoError(t, err)
	require.Equal(t, "convox", a.User)
	_, err = h.newClient("wrong").Auth(ctx)
	requireCode(t, rack.EUNAUTHORIZED, err)
}

// raw sends a request with optional basic credentials and returns status,
// headers and body.
func raw(t *testing.T, method, url, user, pw string, body io.Reader) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	require.NoError(t, err)
	if user != "" {
		req.SetBasicAuth(user, pw)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, res.Header, string(b)
}

func TestEveryRouteButHealthNeedsCredentials(t *testing.T) {
	h := newHarness(t)
	_, err := h.client.AppCreate(context.Background(), "exists")
	require.NoError(t, err)

	fill := strings.NewReplacer("{app}", "exists", "{id}", "BAAAAAAAAAA")
	for _, r := range api.New(api.Config{}).Routes() {
		method, path, _ := strings.Cut(r.Pattern, " ")
		url := h.url + fill.Replace(path)
		if r.Pattern == "GET /health" {
			status, _, _ := raw(t, method, url, "", "", nil)
			require.Equal(t, http.StatusOK, status)
			continue
		}
		for _, cred := range []struct{ user, pw string }{{"", ""}, {"convox", "wrong"}, {"admin", password}, {"convox", ""}} {
			status, header, body := raw(t, method, url, cred.user, cred.pw, strings.NewReader(`{"name":"x"}`))
			require.Equal(t, http.StatusUnauthorized, status, "%s as %q", r.Pattern, cred.user)
			require.JSONEq(t, `{"error":"invalid credentials"}`, body, r.Pattern)
			require.Equal(t, `Basic realm="convox"`, header.Get("WWW-Authenticate"))
		}
	}

	// A wrong password tells an app that exists from one that does not in
	// no way: same status, same body; unknown routes answer the same too.
	var answers []string
	for _, path := range []string{"/apps/exists", "/apps/missing", "/apps/exists/releases", "/apps/missing/releases", "/no/such/route"} {
		status, _, body := raw(t, http.MethodGet, h.url+path, "convox", "wrong", nil)
		answers = append(answers, http.StatusText(status)+" "+body)
	}
	for _, a := range answers {
		require.Equal(t, answers[0], a)
	}
	require.NotContains(t, h.logs.String(), "wrong")
}

func TestBadRequestsGetJSONErrors(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct {
		method, path, body string
		status             int
		message            string
	}{
		{"POST", "/apps", `{"name":`, 400, "invalid JSON body"},
		{"POST", "/apps", `{"name":"a","extra":1}`, 400, "unknown field"},
		{"POST", "/apps", `{"name":"a"} {"name":"b"}`, 400, "more than one value"},
		{"POST", "/apps", `{"name":"` + strings.Repeat("a", 2<<20) + `"}`, 400, "larger than"},
		{"GET", "/no/such/route", "", 404, "no such route: GET /no/such/route"},
		{"PATCH", "/apps/x", "", 404, "no such route"},
		{"GET", "/apps/missing", "", 404, "app not found: missing"},
	} {
		status, header, body := raw(t, c.method, h.url+c.path, "convox", password, strings.NewReader(c.body))
		require.Equal(t, c.status, status, "%s %s: %s", c.method, c.path, body)
		require.Equal(t, "application/json", header.Get("Content-Type"))
		require.Contains(t, body, c.message)
		require.NotEmpty(t, header.Get("X-Request-Id"))
	}
}

func TestRequestIDsAndLogs(t *testing.T) {
	h := newHarness(t)
	req, err := http.NewRequest(http.MethodGet, h.url+"/apps", nil)
	require.NoError(t, err)
	req.SetBasicAuth("convox", password)
	req.Header.Set("X-Request-Id", "abc-123")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, "abc-123", res.Header.Get("X-Request-Id"))
	require.Equal(t, "1.0.0", res.Header.Get("Version"))
	require.Contains(t, h.logs.String(), `"request_id":"abc-123"`)
	require.Contains(t, h.logs.String(), `"route":"GET /apps"`)

	// A request id that could garble logs is replaced.
	req.Header.Set("X-Request-Id", "bad id with spaces")
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.NotContains(t, res.Header.Get("X-Request-Id"), " ")
	require.NotEmpty(t, res.Header.Get("X-Request-Id"))
}

// TestForeignStackIsAConflict: an app whose stack name is taken by a stack
// the rack did not make is a 409 that says so, and nothing is recorded.
func TestForeignStackIsAConflict(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.stacks.Foreign("victim")
	_, err := h.client.AppCreate(ctx, "victim")
	requireCode(t, rack.ECONFLICT, err)
	require.Equal(t, "the stack of app victim was not made by the rack", err.Error())
	_, err = h.client.AppGet(ctx, "victim")
	requireCode(t, rack.ENOTFOUND, err)
	require.True(t, h.stacks.HasForeign("victim"))
}

func TestPromoteThroughTheClient(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	_, err := h.client.AppCreate(ctx, "myapp")
	require.NoError(t, err)
	h.stacks.Settle()
	require.NoError(t, h.apps.ReconcileApps(ctx))
	release := func(secret string) sdk.Release {
		t.Helper()
		id, err := rack.NewID(rack.BuildIDPrefix)
		require.NoError(t, err)
		_, err = h.store.CreateBuild(ctx, rack.Build{App: "myapp", ID: id, Status: rack.BuildComplete,
			Manifest: "services:\n  web:\n    build: .\n    port: 3000\n    environment: [SECRET]\n"})
		require.NoError(t, err)
		env := map[string]string{"SECRET": secret}
		r, err := h.client.ReleaseCreate(ctx, "myapp", sdk.ReleaseCreateOptions{Build: &id, Env: &env})
		require.NoError(t, err)
		return r
	}

	r1 := release("a")
	got, err := h.client.ReleasePromote(ctx, "myapp", r1.ID)
	require.NoError(t, err)
	require.Equal(t, "active", got.Status)
	app, err := h.client.AppGet(ctx, "myapp")
	require.NoError(t, err)
	require.Equal(t, r1.ID, app.Release)
	require.Empty(t, app.Promoting)
	evs, err := h.client.ReleaseEvents(ctx, "myapp", r1.ID)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	require.Equal(t, "UPDATE_COMPLETE", evs[1].Status)

	h.updates.Hold = true
	r2, r3 := release("b"), release("c")
	got, err = h.client.ReleasePromote(ctx, "myapp", r2.ID)
	require.NoError(t, err)
	require.Equal(t, "promoting", got.Status)
	app, err = h.client.AppGet(ctx, "myapp")
	require.NoError(t, err)
	require.Equal(t, r2.ID, app.Promoting)
	_, err = h.client.ReleasePromote(ctx, "myapp", r3.ID)
	requireCode(t, rack.ECONFLICT, err)
	require.Equal(t, "app myapp is promoting release "+r2.ID+"; wait for it to finish, or cancel it with: convox apps cancel -a myapp", rack.ErrorMessage(err))

	require.NoError(t, h.client.AppCancel(ctx, "myapp"))
	require.NoError(t, h.promotions.Settle(ctx, "myapp"))
	failed, err := h.client.ReleaseGet(ctx, "myapp", r2.ID)
	require.NoError(t, err)
	require.Equal(t, "failed", failed.Status)
	require.Equal(t, "Resource update cancelled", failed.Reason)
	err = h.client.AppCancel(ctx, "myapp")
	requireCode(t, rack.ECONFLICT, err)

	_, err = h.client.ReleasePromote(ctx, "myapp", "RNOSUCHRELE")
	requireCode(t, rack.ENOTFOUND, err)

	ds, err := h.client.AppDeployments(ctx, "myapp")
	require.NoError(t, err)
	require.Empty(t, ds)
	when := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	h.updates.SetDeployments("myapp", []rack.Deployment{{Service: "web", State: "IN_PROGRESS", Desired: 2, Running: 1, Pending: 1, Updated: when}})
	ds, err = h.client.AppDeployments(ctx, "myapp")
	require.NoError(t, err)
	require.Equal(t, []sdk.Deployment{{Service: "web", State: "IN_PROGRESS", Desired: 2, Running: 1, Pending: 1, Updated: when}}, ds)
	_, err = h.client.AppDeployments(ctx, "nope")
	requireCode(t, rack.ENOTFOUND, err)
	_, err = h.client.ReleaseEvents(ctx, "nope", r1.ID)
	requireCode(t, rack.ENOTFOUND, err)
}

func TestAValueTooBigForItsParameterIsRefused(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	_, err := h.client.AppCreate(ctx, "myapp")
	require.NoError(t, err)
	big := map[string]string{"BIG": strings.Repeat("v", rack.MaxEnvValue+1)}
	_, err = h.client.ReleaseCreate(ctx, "myapp", sdk.ReleaseCreateOptions{Env: &big})
	requireCode(t, rack.EINVALID, err)
	require.Equal(t, "the value of BIG is 4097 bytes: values are limited to 4096 bytes", rack.ErrorMessage(err))
	rs, err := h.client.ReleaseList(ctx, "myapp")
	require.NoError(t, err)
	require.Empty(t, rs, "nothing recorded")
}

func TestScaleThroughTheClient(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	_, err := h.client.AppCreate(ctx, "myapp")
	require.NoError(t, err)
	h.stacks.Settle()
	require.NoError(t, h.apps.ReconcileApps(ctx))
	ss, err := h.client.ServiceList(ctx, "myapp")
	require.NoError(t, err)
	require.Empty(t, ss)

	const build = "BAAAAAAAAAA"
	_, err = h.store.CreateBuild(ctx, rack.Build{App: "myapp", ID: build, Status: rack.BuildComplete,
		Manifest: "services:\n  web:\n    build: .\n    port: 3000\n  worker:\n    build: .\n"})
	require.NoError(t, err)
	b := build
	r, err := h.client.ReleaseCreate(ctx, "myapp", sdk.ReleaseCreateOptions{Build: &b})
	require.NoError(t, err)
	_, err = h.client.ReleasePromote(ctx, "myapp", r.ID)
	require.NoError(t, err)
	h.running.Hosts["myapp"] = map[string][]string{"web": {"web.myapp.dev.example.org"}}

	two := 2
	release, err := h.client.ServiceUpdate(ctx, "myapp", "web", sdk.ServiceUpdateOptions{Count: &two})
	require.NoError(t, err)
	require.Empty(t, release)
	require.Equal(t, 2, h.running.Counts["myapp/web"])
	memory := 1024
	release, err = h.client.ServiceUpdate(ctx, "myapp", "worker", sdk.ServiceUpdateOptions{Memory: &memory})
	require.NoError(t, err)
	require.Regexp(t, `^R[A-Z]{10}$`, release)
	ss, err = h.client.ServiceList(ctx, "myapp")
	require.NoError(t, err)
	require.Equal(t, []sdk.Service{
		{Name: "web", Domain: "web.myapp.dev.example.org", Ports: []sdk.ServicePort{{Balancer: 80, Container: 3000}}, Count: 2, Cpu: 256, Memory: 512},
		{Name: "worker", Ports: []sdk.ServicePort{}, Count: 1, Cpu: 256, Memory: 1024},
	}, ss)
	_, err = h.client.ServiceUpdate(ctx, "myapp", "nope", sdk.ServiceUpdateOptions{Count: &two})
	requireCode(t, rack.ENOTFOUND, err)
	_, err = h.client.ServiceUpdate(ctx, "myapp", "web", sdk.ServiceUpdateOptions{})
	requireCode(t, rack.EINVALID, err)

	require.NoError(t, h.client.ServiceRestart(ctx, "myapp", "worker"))
	require.Equal(t, []string{"myapp/worker"}, h.running.Restarts)
	requireCode(t, rack.ENOTFOUND, h.client.ServiceRestart(ctx, "myapp", "nope"))

	// The form Convox's client sends.
	req, err := http.NewRequest(http.MethodPut, h.url+"/apps/myapp/services/web", strings.NewReader("count=3"))
	require.NoError(t, err)
	req.SetBasicAuth("convox", password)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, 3, h.running.Counts["myapp/web"])
}

func TestProcessesThroughTheClient(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	_, err := h.client.AppCreate(ctx, "myapp")
	require.NoError(t, err)
	h.stacks.Settle()
	require.NoError(t, h.apps.ReconcileApps(ctx))
	ps, err := h.client.ProcessList(ctx, "myapp", "", "")
	require.NoError(t, err)
	require.Empty(t, ps, "nothing deployed")
	_, err = h.client.ProcessRun(ctx, "myapp", "web", "date")
	requireCode(t, rack.ECONFLICT, err)

	const build = "BAAAAAAAAAA"
	_, err = h.store.CreateBuild(ctx, rack.Build{App: "myapp", ID: build, Status: rack.BuildComplete,
		Manifest: "services:\n  web:\n    build: .\n    port: 3000\n  worker:\n    build: .\n"})
	require.NoError(t, err)
	b := build
	r, err := h.client.ReleaseCreate(ctx, "myapp", sdk.ReleaseCreateOptions{Build: &b})
	require.NoError(t, err)
	_, err = h.client.ReleasePromote(ctx, "myapp", r.ID)
	require.NoError(t, err)
	started := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	h.tasks.Add("myapp", rack.Process{ID: "aaaa", Name: "web", Release: r.ID, Status: rack.ProcessRunning, Command: "npm start", Started: started})
	h.tasks.Add("myapp", rack.Process{ID: "bbbb", Name: "worker", Release: "ROLDOLDOLDO", Status: rack.ProcessRunning, Started: started})
	h.tasks.Release = r.ID

	run, err := h.client.ProcessRun(ctx, "myapp", "worker", "rake db:migrate")
	require.NoError(t, err)
	require.Equal(t, "worker", run.Name)
	require.Equal(t, "rake db:migrate", run.Command)
	ps, err = h.client.ProcessList(ctx, "myapp", "", "")
	require.NoError(t, err)
	require.Len(t, ps, 3)
	ps, err = h.client.ProcessList(ctx, "myapp", "web", "")
	require.NoError(t, err)
	require.Equal(t, []sdk.Process{{ID: "aaaa", App: "myapp", Name: "web", Release: r.ID, Status: "running", Command: "npm start", Started: started}}, ps)
	ps, err = h.client.ProcessList(ctx, "myapp", "", r.ID)
	require.NoError(t, err)
	require.Len(t, ps, 2, "the web process and the run, of the active release")

	got, err := h.client.ProcessGet(ctx, "myapp", run.ID)
	require.NoError(t, err)
	require.Equal(t, run, got)
	require.NoError(t, h.client.ProcessStop(ctx, "myapp", run.ID))
	_, err = h.client.ProcessGet(ctx, "myapp", run.ID)
	requireCode(t, rack.ENOTFOUND, err)
	requireCode(t, rack.ENOTFOUND, h.client.ProcessStop(ctx, "myapp", "no/such"))
	_, err = h.client.ProcessRun(ctx, "myapp", "nope", "date")
	requireCode(t, rack.ENOTFOUND, err)
	_, err = h.client.ProcessRun(ctx, "myapp", "web", "  ")
	requireCode(t, rack.EINVALID, err)
}
