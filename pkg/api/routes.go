package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
	"github.com/rackhq/rack/pkg/service"
)

// Route is one entry of the route table.
type Route struct {
	Pattern string // Go 1.22 ServeMux pattern: "METHOD /path/{param}"
	Handle  func(http.ResponseWriter, *http.Request) error
}

// Routes lists the API's routes; openapi.yaml lists the same operations.
func (s *Server) Routes() []Route {
	return []Route{
		{healthPattern, s.health},
		{"GET /auth", s.authCheck},
		{"GET /system", s.system},
		{"GET /apps", s.listApps},
		{"POST /apps", s.createApp},
		{"GET /apps/{app}", s.getApp},
		{"DELETE /apps/{app}", s.deleteApp},
		{"GET /apps/{app}/builds", s.listBuilds},
		{"GET /apps/{app}/builds/{id}", s.getBuild},
		{"GET /apps/{app}/environment", s.environment},
		{"GET /apps/{app}/releases", s.listReleases},
		{"POST /apps/{app}/releases", s.createRelease},
		{"GET /apps/{app}/releases/{id}", s.getRelease},
	}
}

func (s *Server) health(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, sdk.Health{Status: "ok", Version: s.version})
}

func (s *Server) authCheck(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, sdk.Auth{User: "convox"})
}

func (s *Server) system(w http.ResponseWriter, r *http.Request) error {
	sys, err := s.svc.System(r.Context())
	if err != nil {
		return err
	}
	if sys.Domain == "" {
		// The API's host name is not known to the stack (the API and its
		// function would refer to each other): it is where this request went.
		sys.Domain = r.Host
	}
	return writeJSON(w, http.StatusOK, sdk.System{
		Name: sys.Name, Provider: sys.Provider, Region: sys.Region, Status: string(sys.Status),
		Version: sys.Version, Type: sys.Type, Count: sys.Count, Domain: sys.Domain,
		Outputs: sys.Outputs, Parameters: sys.Parameters,
	})
}

// page reads ?limit= and ?cursor=.
func page(r *http.Request) (rack.Page, error) {
	p := rack.Page{Cursor: r.URL.Query().Get("cursor")}
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			return p, rack.Errorf(rack.EINVALID, "limit %q is not a number", l)
		}
		p.Limit = n
	}
	if _, err := p.PageLimit(); err != nil {
		return p, err
	}
	return p, nil
}

// writeList answers a page of a list, with the next page's cursor in a
// header so the body stays the plain array Convox clients expect.
func writeList[T, W any](w http.ResponseWriter, items []T, next string, view func(T) W) error {
	if next != "" {
		w.Header().Set(sdk.NextCursorHeader, next)
	}
	out := make([]W, 0, len(items))
	for _, it := range items {
		out = append(out, view(it))
	}
	return writeJSON(w, http.StatusOK, out)
}

func appView(a rack.App) sdk.App {
	return sdk.App{Name: a.Name, Status: string(a.Status), Release: a.Release, Parameters: a.Parameters, Created: a.Created, Updated: a.Updated}
}

func buildView(b rack.Build) sdk.Build {
	return sdk.Build{
		ID: b.ID, App: b.App, Description: b.Description, Status: string(b.Status), Manifest: b.Manifest,
		Release: b.Release, Reason: b.Reason, Logs: b.Logs, Started: optionalTime(b.Started), Ended: optionalTime(b.Ended),
		Created: b.Created,
	}
}

func releaseView(r rack.Release) sdk.Release {
	return sdk.Release{ID: r.ID, App: r.App, Build: r.Build, Description: r.Description, Status: string(r.Status), Manifest: r.Manifest, Created: r.Created}
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Server) listApps(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	apps, next, err := s.svc.ListApps(r.Context(), p)
	if err != nil {
		return err
	}
	return writeList(w, apps, next, appView)
}

func (s *Server) createApp(w http.ResponseWriter, r *http.Request) error {
	var opts sdk.AppCreateOptions
	if err := decode(w, r, &opts); err != nil {
		return err
	}
	app, err := s.svc.CreateApp(r.Context(), opts.Name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, appView(app))
}

func (s *Server) getApp(w http.ResponseWriter, r *http.Request) error {
	app, err := s.svc.GetApp(r.Context(), r.PathValue("app"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, appView(app))
}

func (s *Server) deleteApp(w http.ResponseWriter, r *http.Request) error {
	app, err := s.svc.DeleteApp(r.Context(), r.PathValue("app"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, appView(app))
}

func (s *Server) listBuilds(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	builds, next, err := s.svc.ListBuilds(r.Context(), r.PathValue("app"), p)
	if err != nil {
		return err
	}
	return writeList(w, builds, next, buildView)
}

func (s *Server) getBuild(w http.ResponseWriter, r *http.Request) error {
	b, err := s.svc.GetBuild(r.Context(), r.PathValue("app"), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, buildView(b))
}

func (s *Server) environment(w http.ResponseWriter, r *http.Request) error {
	env, err := s.svc.Environment(r.Context(), r.PathValue("app"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, env)
}

func (s *Server) listReleases(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	releases, next, err := s.svc.ListReleases(r.Context(), r.PathValue("app"), p)
	if err != nil {
		return err
	}
	return writeList(w, releases, next, releaseView)
}

func (s *Server) createRelease(w http.ResponseWriter, r *http.Request) error {
	var opts sdk.ReleaseCreateOptions
	if err := decode(w, r, &opts); err != nil {
		return err
	}
	ro := service.ReleaseOptions{Build: opts.Build, Description: opts.Description}
	if opts.Env != nil {
		env := rack.Environment(*opts.Env)
		ro.Env = &env
	}
	rel, err := s.svc.CreateRelease(r.Context(), r.PathValue("app"), ro)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, releaseView(rel))
}

func (s *Server) getRelease(w http.ResponseWriter, r *http.Request) error {
	rel, env, err := s.svc.GetRelease(r.Context(), r.PathValue("app"), r.PathValue("id"))
	if err != nil {
		return err
	}
	v := releaseView(rel)
	v.Env = env
	return writeJSON(w, http.StatusOK, v)
}
