package api

import (
	"net/http"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
	"github.com/rackhq/rack/pkg/service"
)

func releaseView(r rack.Release) sdk.Release {
	return sdk.Release{
		ID: r.ID, App: r.App, Build: r.Build, Description: r.Description, Status: string(r.Status),
		Manifest: r.Manifest, Reason: r.Reason, Created: r.Created,
	}
}

func (s *Server) environment(w http.ResponseWriter, r *http.Request) error {
	env, latest, err := s.releases.LatestEnvironment(r.Context(), r.PathValue("app"))
	if err != nil {
		return err
	}
	// The release this environment is from: a client that changes it
	// names it as the new release's parent, so that no change is lost.
	w.Header().Set(sdk.ReleaseHeader, latest)
	return writeJSON(w, http.StatusOK, env)
}

func (s *Server) listReleases(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	releases, next, err := s.releases.ListReleases(r.Context(), r.PathValue("app"), p)
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
	ro := service.ReleaseOptions{Build: opts.Build, Description: opts.Description, Parent: opts.Parent}
	if opts.Env != nil {
		env := rack.Environment(*opts.Env)
		ro.Env = &env
	}
	rel, err := s.releases.CreateRelease(r.Context(), r.PathValue("app"), ro)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, releaseView(rel))
}

func (s *Server) getRelease(w http.ResponseWriter, r *http.Request) error {
	rel, env, err := s.releases.GetRelease(r.Context(), r.PathValue("app"), r.PathValue("id"))
	if err != nil {
		return err
	}
	v := releaseView(rel)
	v.Env = env
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) promoteRelease(w http.ResponseWriter, r *http.Request) error {
	// A Convox client may send its options as a form; there are none to
	// read.
	rel, err := s.promote.Promote(r.Context(), r.PathValue("app"), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, releaseView(rel))
}

func (s *Server) releaseEvents(w http.ResponseWriter, r *http.Request) error {
	evs, err := s.promote.Events(r.Context(), r.PathValue("app"), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := make([]sdk.StackEvent, 0, len(evs))
	for _, e := range evs {
		out = append(out, sdk.StackEvent{Time: e.Time, Resource: e.Resource, Type: e.Type, Status: e.Status, Reason: e.Reason})
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) cancelApp(w http.ResponseWriter, r *http.Request) error {
	if err := s.promote.Cancel(r.Context(), r.PathValue("app")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) deployments(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.promote.Deployments(r.Context(), r.PathValue("app"))
	if err != nil {
		return err
	}
	out := make([]sdk.Deployment, 0, len(ds))
	for _, d := range ds {
		out = append(out, sdk.Deployment{
			Service: d.Service, State: d.State, Reason: d.Reason,
			Desired: d.Desired, Running: d.Running, Pending: d.Pending, Failed: d.Failed, Updated: d.Updated,
		})
	}
	return writeJSON(w, http.StatusOK, out)
}
