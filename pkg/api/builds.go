package api

import (
	"net/http"
	"time"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
)

func buildView(b rack.Build) sdk.Build {
	return sdk.Build{
		ID: b.ID, App: b.App, Description: b.Description, Status: string(b.Status), Manifest: b.Manifest,
		Release: b.Release, Reason: b.Reason, Logs: b.Logs, Started: optionalTime(b.Started), Ended: optionalTime(b.Ended),
		Created: b.Created,
	}
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Server) listBuilds(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	builds, next, err := s.builds.ListBuilds(r.Context(), r.PathValue("app"), p)
	if err != nil {
		return err
	}
	return writeList(w, builds, next, buildView)
}

func (s *Server) getBuild(w http.ResponseWriter, r *http.Request) error {
	b, err := s.builds.GetBuild(r.Context(), r.PathValue("app"), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, buildView(b))
}
