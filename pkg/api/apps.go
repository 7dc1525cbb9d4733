package api

import (
	"net/http"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
)

func appView(a rack.App) sdk.App {
	return sdk.App{
		Name: a.Name, Status: string(a.Status), Release: a.Release, Parameters: a.Parameters,
		Generation: rack.AppGeneration, Locked: a.Locked, Router: a.Router, Promoting: a.Promotion.Release, Created: a.Created, Updated: a.Updated,
	}
}

func (s *Server) listApps(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	apps, next, err := s.apps.ListApps(r.Context(), p)
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
	app, err := s.apps.CreateApp(r.Context(), opts.Name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, appView(app))
}

func (s *Server) getApp(w http.ResponseWriter, r *http.Request) error {
	app, err := s.apps.GetApp(r.Context(), r.PathValue("app"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, appView(app))
}

func (s *Server) deleteApp(w http.ResponseWriter, r *http.Request) error {
	app, err := s.apps.DeleteApp(r.Context(), r.PathValue("app"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, appView(app))
}
