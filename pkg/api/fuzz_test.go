package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rackhq/rack/pkg/api"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/source"
	"github.com/rackhq/rack/pkg/testkit/fake"
	"github.com/rackhq/rack/pkg/testkit/memstore"
)

// FuzzSystemUpdateBody: whatever the body of PUT /system, as JSON or as
// Convox's form, the answer is a 200 with the changes or a 4xx with a JSON
// error, never a 5xx, and an error changes nothing.
func FuzzSystemUpdateBody(f *testing.F) {
	for _, seed := range []struct {
		form bool
		body string
	}{
		{false, `{"parameters": {"InstanceCount": "2"}}`},
		{false, `{"version": "2.0.0", "parameters": {"Webhooks": "https://hooks.example.org"}}`},
		{false, `{"parameters": {"Architecture": "x86_64"}}`},
		{false, `{"parameters": {"CodePrefix": "x"}, "version": "../1"}`},
		{false, `{"parameters": null, "version": ""}`},
		{false, ``},
		{true, `parameters=InstanceCount%3D2%26Development%3DYes&count=2&type=t4g.small`},
		{true, `version=2.0.0`},
		{true, `parameters=%25zz&version=%00`},
	} {
		f.Add(seed.form, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, form bool, body []byte) {
		stack := fake.NewRackStack("fuzz", map[string]string{
			"Version": "1.0.0", "Architecture": "arm64", "CodeBucket": "b", "CodePrefix": "p/", "Password": "secret",
			"InstanceType": "t4g.small", "InstanceCount": "0", "Development": "No",
		}, "Password")
		stack.Upload("2.0.0", "arm64", map[string]string{"Version": "", "Architecture": "", "CodeBucket": "", "CodePrefix": "", "Password": "", "Webhooks": ""})
		server := api.New(api.Config{
			System: service.NewStackSystem(rack.System{Name: "fuzz"}, stack),
			Auth:   fake.Auth{Password: password},
		})
		req := httptest.NewRequest(http.MethodPut, "/system", bytes.NewReader(body))
		req.SetBasicAuth("convox", password)
		if form {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		server.ServeHTTP(rec, req)
		dec := json.NewDecoder(rec.Body)
		dec.DisallowUnknownFields()
		switch rec.Code {
		case http.StatusOK:
			var res sdk.SystemUpdateResult
			if err := dec.Decode(&res); err != nil || res.Changes == nil {
				t.Fatalf("200 with %q: %v", rec.Body.String(), err)
			}
			if len(stack.Updates) > 1 {
				t.Fatalf("one request made %d changes", len(stack.Updates))
			}
		case http.StatusBadRequest, http.StatusNotFound, http.StatusConflict:
			var e struct{ Error string }
			if err := dec.Decode(&e); err != nil || e.Error == "" {
				t.Fatalf("%d without an error message: %q", rec.Code, rec.Body.String())
			}
			if len(stack.Updates) != 0 {
				t.Fatalf("%d (%s) but the stack was changed", rec.Code, e.Error)
			}
		default:
			t.Fatalf("%d for %q: %s", rec.Code, body, rec.Body.String())
		}
	})
}

// FuzzBuildCreateBody: whatever the body of POST /apps/{app}/builds, and
// whatever was uploaded as its source (any bytes, or a tarball of any
// manifest), the answer is a 201 with a build the builder started, or a
// 4xx with a JSON error and nothing recorded or started; never a 5xx.
func FuzzBuildCreateBody(f *testing.F) {
	good := tarball(f, map[string]string{"convox.yml": "services:\n  web:\n    build: .\n    port: 3000\n"})
	for _, seed := range []struct {
		body   string
		upload []byte
	}{
		{`{"source": "SOURCE"}`, good},
		{`{"source": "SOURCE", "manifest": "convox.yml", "description": "d", "noCache": true, "buildArgs": ["A=1"]}`, good},
		{`{"source": "SOURCE", "manifest": "../x"}`, good},
		{`{"source": "SOURCE", "buildArgs": ["A"]}`, good},
		{`{"source": "SOURCE"}`, tarball(f, map[string]string{"convox.yml": "services: {web: {port: abc}}"})},
		{`{"source": "SOURCE"}`, []byte("not a tarball")},
		{`{"source": "sources/other/0123.tgz"}`, good},
		{`{"source": 1}`, good},
		{``, nil},
	} {
		f.Add([]byte(seed.body), seed.upload)
	}
	f.Fuzz(func(t *testing.T, body, upload []byte) {
		store := memstore.New(nil)
		ctx := context.Background()
		if _, err := store.CreateApp(ctx, rack.App{Name: "web", Status: rack.AppRunning}); err != nil {
			t.Fatal(err)
		}
		core := service.NewCore(service.CoreConfig{Rack: "fuzz"})
		sources, builder := fake.NewSources(), fake.NewBuilder()
		defer sources.Close()
		builds := service.NewBuilds(core, store, service.BuildPorts{
			Sources: sources, Builder: builder, Logs: fake.NewLogs(), Images: &fake.Images{},
			Releaser: service.NewReleases(core, store, fake.Sealer{}), Registry: "registry",
		})
		up, err := builds.CreateUpload(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		if upload != nil {
			sources.Put(up.Source, upload)
		}
		server := api.New(api.Config{Builds: builds, Auth: fake.Auth{Password: password}})
		req := httptest.NewRequest(http.MethodPost, "/apps/web/builds", bytes.NewReader(bytes.ReplaceAll(body, []byte("SOURCE"), []byte(up.Source))))
		req.SetBasicAuth("convox", password)
		rec := httptest.NewRecorder()
		server.ServeHTTP(rec, req)
		recorded, _, err := store.ListBuilds(ctx, "web", rack.Page{})
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(rec.Body)
		dec.DisallowUnknownFields()
		switch rec.Code {
		case http.StatusCreated:
			var b sdk.Build
			if err := dec.Decode(&b); err != nil || b.Status != string(rack.BuildCreated) {
				t.Fatalf("201 with %q: %v", rec.Body.String(), err)
			}
			if len(recorded) != 1 || len(builder.Started) != 1 || builder.Started[0].Build != b.ID {
				t.Fatalf("201, but %d builds recorded and %d started", len(recorded), len(builder.Started))
			}
		case http.StatusBadRequest, http.StatusNotFound, http.StatusConflict:
			var e struct{ Error string }
			if err := dec.Decode(&e); err != nil || e.Error == "" {
				t.Fatalf("%d without an error message: %q", rec.Code, rec.Body.String())
			}
			if len(recorded) != 0 || len(builder.Started) != 0 {
				t.Fatalf("%d (%s), but %d builds recorded and %d started", rec.Code, e.Error, len(recorded), len(builder.Started))
			}
		default:
			t.Fatalf("%d for %q: %s", rec.Code, body, rec.Body.String())
		}
	})
}

// tarball packs files as `convox build` does.
func tarball(tb testing.TB, files map[string]string) []byte {
	tb.Helper()
	dir := tb.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	var out bytes.Buffer
	if _, err := source.Pack(dir, &out, source.Options{}); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// FuzzPromoteRelease promotes a release of any manifest and environment:
// the answer is the release (promoting or active) or a 4xx with a message,
// never a 5xx, and a refused promotion leaves the app free and the stack
// untouched.
func FuzzPromoteRelease(f *testing.F) {
	for _, seed := range []struct{ manifest, env string }{
		{"services:\n  web:\n    build: .\n    port: 3000\n", ""},
		{"services:\n  web:\n    build: .\n    environment: [SECRET]\n", "SECRET=x"},
		{"services:\n  web:\n    build: .\n    environment: [SECRET]\n", ""},
		{"services:\n  web:\n    image: nginx\n    port: 80\n    internal: true\ntimers:\n  t:\n    schedule: '0 * * * *'\n    command: date\n    service: web\n", ""},
		{"services: [", ""},
		{"services:\n  web:\n    agent: true\n    scale: {count: 1-3, cpu: 256}\n", "A=${B}"},
	} {
		f.Add(seed.manifest, seed.env)
	}
	f.Fuzz(func(t *testing.T, manifest, envText string) {
		store := memstore.New(nil)
		ctx := context.Background()
		if _, err := store.CreateApp(ctx, rack.App{Name: "web", Status: rack.AppRunning}); err != nil {
			t.Fatal(err)
		}
		env := rack.Environment{}
		for _, line := range strings.Split(envText, "\n") {
			if k, v, err := rack.ParseEnvironmentLine(line); err == nil {
				env[k] = v
			}
		}
		core := service.NewCore(service.CoreConfig{Rack: "fuzz"})
		releases := service.NewReleases(core, store, fake.Sealer{})
		const build = "BFUZZFUZZFU"
		if _, err := store.CreateBuild(ctx, rack.Build{App: "web", ID: build, Status: rack.BuildComplete, Manifest: manifest}); err != nil {
			t.Fatal(err)
		}
		b := build
		r, err := releases.CreateRelease(ctx, "web", service.ReleaseOptions{Build: &b, Env: &env})
		if err != nil {
			return // an environment the rack refuses before any promotion
		}
		updates := fake.NewUpdates(time.Now)
		promotions := service.NewPromotions(core, store, fake.Sealer{}, service.PromotePorts{Stacks: updates, Env: fake.NewEnvValues(), Layout: &fake.Layout{}, Deployments: updates})
		server := api.New(api.Config{Promotions: promotions, Auth: fake.Auth{Password: password}})
		req := httptest.NewRequest(http.MethodPost, "/apps/web/releases/"+r.ID+"/promote", nil)
		req.SetBasicAuth("convox", password)
		rec := httptest.NewRecorder()
		server.ServeHTTP(rec, req)
		app, err := store.GetApp(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		stored, err := store.GetRelease(ctx, "web", r.ID)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(rec.Body)
		dec.DisallowUnknownFields()
		switch rec.Code {
		case http.StatusOK:
			var got sdk.Release
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("200 with %q: %v", rec.Body.String(), err)
			}
			switch got.Status {
			case string(rack.ReleaseActive):
				if app.Release != r.ID || app.Promotion.Active() || updates.Calls("web") != 1 {
					t.Fatalf("active, but the app has release %q, promotion %+v, %d updates", app.Release, app.Promotion, updates.Calls("web"))
				}
			case string(rack.ReleaseFailed):
				if app.Promotion.Active() || stored.Reason == "" {
					t.Fatalf("failed without a reason, or the app still promoting: %+v %+v", stored, app.Promotion)
				}
			default:
				t.Fatalf("200 with status %q", got.Status)
			}
		case http.StatusBadRequest:
			var e struct{ Error string }
			if err := dec.Decode(&e); err != nil || e.Error == "" {
				t.Fatalf("%d without an error message: %q", rec.Code, rec.Body.String())
			}
			if app.Promotion.Active() || updates.Calls("web") != 0 {
				t.Fatalf("400 (%s), but the app is promoting %+v, %d updates", e.Error, app.Promotion, updates.Calls("web"))
			}
		default:
			t.Fatalf("%d for %q: %s", rec.Code, manifest, rec.Body.String())
		}
	})
}

// FuzzServiceUpdateBody scales a deployed service with any body, JSON or
// Convox's form: the answer is a 200 or a 4xx with a message, never a
// 5xx, and a 4xx records no scale and sets no count.
func FuzzServiceUpdateBody(f *testing.F) {
	for _, seed := range []struct {
		body string
		form bool
	}{
		{`{"count": 2}`, false}, {`{"cpu": 512, "memory": 1024}`, false}, {`{"count": -1}`, false},
		{`{}`, false}, {``, false}, {`{"count": "2"}`, false}, {`{"count": 1e99}`, false},
		{`count=2`, true}, {`count=2&count=3`, true}, {`cpu=x`, true}, {`%zz`, true}, {`nope=1`, true},
	} {
		f.Add([]byte(seed.body), seed.form)
	}
	f.Fuzz(func(t *testing.T, body []byte, form bool) {
		ctx := context.Background()
		d := deployedApp(t, "services:\n  web:\n    build: .\n    port: 3000\n")
		store, running := d.store, fake.NewRunning()
		server := api.New(api.Config{Services: service.NewServices(d.core, d.promotions, d.releases, running), Auth: fake.Auth{Password: password}})
		req := httptest.NewRequest(http.MethodPut, "/apps/web/services/web", bytes.NewReader(body))
		if form {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.SetBasicAuth("convox", password)
		rec := httptest.NewRecorder()
		server.ServeHTTP(rec, req)
		app, err := store.GetApp(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		switch rec.Code {
		case http.StatusOK:
			if _, ok := app.Scale["web"]; !ok {
				t.Fatalf("200, but no scale recorded: %s", rec.Body.String())
			}
		case http.StatusBadRequest:
			var e struct{ Error string }
			if err := json.NewDecoder(rec.Body).Decode(&e); err != nil || e.Error == "" {
				t.Fatalf("400 without an error message: %q", rec.Body.String())
			}
			if len(app.Scale) != 0 || len(running.Counts) != 0 {
				t.Fatalf("400 (%s), but scale %+v recorded and counts %v set", e.Error, app.Scale, running.Counts)
			}
		default:
			t.Fatalf("%d for %q: %s", rec.Code, body, rec.Body.String())
		}
	})
}

// FuzzProcessRunBody runs a one-off process with any body: a 201 with the
// process, or a 4xx with a message and no process started; never a 5xx.
func FuzzProcessRunBody(f *testing.F) {
	for _, seed := range []string{`{"command": "date"}`, `{"command": ""}`, `{"command": 1}`, `{}`, ``, `{"command": "x", "extra": 1}`, `[`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ctx := context.Background()
		d := deployedApp(t, "services:\n  web:\n    build: .\n")
		tasks := fake.NewTasks(time.Now)
		services := service.NewServices(d.core, d.promotions, d.releases, fake.NewRunning())
		server := api.New(api.Config{Processes: service.NewProcesses(d.core, services, tasks), Auth: fake.Auth{Password: password}})
		req := httptest.NewRequest(http.MethodPost, "/apps/web/services/web/processes", bytes.NewReader(body))
		req.SetBasicAuth("convox", password)
		rec := httptest.NewRecorder()
		server.ServeHTTP(rec, req)
		ps, err := tasks.Processes(ctx, "web", []string{"web"})
		if err != nil {
			t.Fatal(err)
		}
		switch rec.Code {
		case http.StatusCreated:
			if len(ps) != 1 {
				t.Fatalf("201, but %d processes", len(ps))
			}
		case http.StatusBadRequest:
			var e struct{ Error string }
			if err := json.NewDecoder(rec.Body).Decode(&e); err != nil || e.Error == "" {
				t.Fatalf("400 without an error message: %q", rec.Body.String())
			}
			if len(ps) != 0 {
				t.Fatalf("400 (%s), but a process started", e.Error)
			}
		default:
			t.Fatalf("%d for %q: %s", rec.Code, body, rec.Body.String())
		}
	})
}

// FuzzAppLogsQuery reads an app's logs with any cursor, since and filter:
// a 200 with events and a cursor, or a 400 with a message; never a 5xx.
func FuzzAppLogsQuery(f *testing.F) {
	for _, seed := range []struct{ cursor, since, filter string }{
		{"", "2m", ""}, {"eyJ0IjoxfQ", "", "GET"}, {"!!", "", ""}, {"e30", "", ""}, {"", "-1s", ""}, {"", "1y", ""},
		{"", "400h", ""}, {"eyJ0IjoxLCJpZHMiOlsiYSJdfQ", "10m", "[x"},
	} {
		f.Add(seed.cursor, seed.since, seed.filter)
	}
	f.Fuzz(func(t *testing.T, cursor, since, filter string) {
		store := memstore.New(nil)
		ctx := context.Background()
		if _, err := store.CreateApp(ctx, rack.App{Name: "web", Status: rack.AppRunning}); err != nil {
			t.Fatal(err)
		}
		groups := fake.NewLogGroups()
		groups.Put("/convox/fuzz/web", rack.LogEvent{Time: time.Now().Add(-time.Minute), Stream: "service/web/1", Message: "GET /", ID: "1"})
		logs := service.NewLogs(service.NewCore(service.CoreConfig{Rack: "fuzz"}), store, groups)
		logs.Wait = 0
		server := api.New(api.Config{Logs: logs, Auth: fake.Auth{Password: password}})
		q := url.Values{"cursor": {cursor}, "since": {since}, "filter": {filter}}
		req := httptest.NewRequest(http.MethodGet, "/apps/web/logs?"+q.Encode(), nil)
		req.SetBasicAuth("convox", password)
		rec := httptest.NewRecorder()
		server.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			var page sdk.LogPage
			if err := json.NewDecoder(rec.Body).Decode(&page); err != nil || page.Next == "" {
				t.Fatalf("200 without a page or a cursor: %q", rec.Body.String())
			}
		case http.StatusBadRequest:
			var e struct{ Error string }
			if err := json.NewDecoder(rec.Body).Decode(&e); err != nil || e.Error == "" {
				t.Fatalf("400 without an error message: %q", rec.Body.String())
			}
		default:
			t.Fatalf("%d for cursor %q since %q filter %q: %s", rec.Code, cursor, since, filter, rec.Body.String())
		}
	})
}

// deployed is an app web whose release of manifest is active, over fakes.
type deployed struct {
	store      *memstore.Store
	core       *service.Core
	releases   *service.Releases
	promotions *service.Promotions
}

// deployedApp records app web, a complete build of manifest and its
// release, and promotes it.
func deployedApp(t *testing.T, manifest string) deployed {
	t.Helper()
	ctx := context.Background()
	d := deployed{store: memstore.New(nil), core: service.NewCore(service.CoreConfig{Rack: "fuzz"})}
	if _, err := d.store.CreateApp(ctx, rack.App{Name: "web", Status: rack.AppRunning}); err != nil {
		t.Fatal(err)
	}
	d.releases = service.NewReleases(d.core, d.store, fake.Sealer{})
	build := "BFUZZFUZZFU"
	if _, err := d.store.CreateBuild(ctx, rack.Build{App: "web", ID: build, Status: rack.BuildComplete, Manifest: manifest}); err != nil {
		t.Fatal(err)
	}
	r, err := d.releases.CreateRelease(ctx, "web", service.ReleaseOptions{Build: &build})
	if err != nil {
		t.Fatal(err)
	}
	updates := fake.NewUpdates(time.Now)
	d.promotions = service.NewPromotions(d.core, d.store, fake.Sealer{},
		service.PromotePorts{Stacks: updates, Env: fake.NewEnvValues(), Layout: &fake.Layout{}, Deployments: updates})
	if _, err := d.promotions.Promote(ctx, "web", r.ID); err != nil {
		t.Fatal(err)
	}
	return d
}
