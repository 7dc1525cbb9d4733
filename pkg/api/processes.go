package api

import (
	"net/http"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
	"github.com/rackhq/rack/pkg/service"
)

func processView(p rack.Process) sdk.Process {
	return sdk.Process{
		ID: p.ID, App: p.App, Name: p.Name, Release: p.Release, Status: string(p.Status), Command: p.Command,
		Image: p.Image, Host: p.Host, Instance: p.Instance, Started: p.Started, ExitCode: p.ExitCode,
	}
}

func (s *Server) listProcesses(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ps, err := s.processes.ListProcesses(r.Context(), r.PathValue("app"), service.ProcessFilter{Service: q.Get("service"), Release: q.Get("release")})
	if err != nil {
		return err
	}
	out := make([]sdk.Process, 0, len(ps))
	for _, p := range ps {
		out = append(out, processView(p))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) getProcess(w http.ResponseWriter, r *http.Request) error {
	p, err := s.processes.GetProcess(r.Context(), r.PathValue("app"), r.PathValue("pid"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, processView(p))
}

func (s *Server) stopProcess(w http.ResponseWriter, r *http.Request) error {
	if err := s.processes.StopProcess(r.Context(), r.PathValue("app"), r.PathValue("pid")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) runProcess(w http.ResponseWriter, r *http.Request) error {
	var opts sdk.ProcessRunOptions
	if err := decode(w, r, &opts); err != nil {
		return err
	}
	p, err := s.processes.RunProcess(r.Context(), r.PathValue("app"), r.PathValue("service"), opts.Command)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, processView(p))
}
