package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
	"github.com/rackhq/rack/pkg/service"
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

func (s *Server) createUpload(w http.ResponseWriter, r *http.Request) error {
	// The body, if any, is an empty object: the route takes no options.
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return rack.Errorf(rack.EINVALID, "request body is larger than %d bytes", maxBody)
	}
	if len(bytes.TrimSpace(data)) > 0 {
		var none struct{}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&none); err != nil || dec.More() {
			return rack.Errorf(rack.EINVALID, "POST /apps/{app}/sources takes no options: send no body or {}")
		}
	}
	u, err := s.builds.CreateUpload(r.Context(), r.PathValue("app"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, sdk.SourceUpload{URL: u.URL, Source: u.Source, Expires: u.Expires})
}

func (s *Server) createBuild(w http.ResponseWriter, r *http.Request) error {
	opts, err := decodeBuildCreate(w, r)
	if err != nil {
		return err
	}
	b, err := s.builds.CreateBuild(r.Context(), r.PathValue("app"), opts)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, buildView(b))
}

// decodeBuildCreate reads the body of POST /apps/{app}/builds.
func decodeBuildCreate(w http.ResponseWriter, r *http.Request) (service.BuildOptions, error) {
	var in sdk.BuildCreateOptions
	if err := decode(w, r, &in); err != nil {
		return service.BuildOptions{}, err
	}
	return service.BuildOptions{
		Source: in.Source, Manifest: in.Manifest, Description: in.Description, NoCache: in.NoCache, BuildArgs: in.BuildArgs,
	}, nil
}

func (s *Server) buildLogs(w http.ResponseWriter, r *http.Request) error {
	limit := 0
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return rack.Errorf(rack.EINVALID, "limit %q is not a positive number", l)
		}
		limit = n
	}
	l, err := s.builds.ReadBuildLog(r.Context(), r.PathValue("app"), r.PathValue("id"), r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	out := sdk.BuildLog{Events: make([]sdk.LogEvent, 0, len(l.Events)), Next: l.Next, Status: string(l.Status)}
	for _, e := range l.Events {
		out.Events = append(out.Events, sdk.LogEvent{Timestamp: e.Time, Message: e.Message})
	}
	return writeJSON(w, http.StatusOK, out)
}
