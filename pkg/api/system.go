package api

import (
	"net/http"

	"github.com/rackhq/rack/pkg/sdk"
)

func (s *Server) health(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, sdk.Health{Status: "ok", Version: s.version})
}

func (s *Server) authCheck(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, sdk.Auth{User: "convox"})
}

func (s *Server) getSystem(w http.ResponseWriter, r *http.Request) error {
	sys, err := s.system.System(r.Context())
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
