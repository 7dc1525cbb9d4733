package api

import (
	"net/http"
	"strconv"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
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
		{"GET /system", s.getSystem},
		{"PUT /system", s.updateSystem},
		{"GET /system/logs", s.rackLogs},
		{"GET /apps", s.listApps},
		{"POST /apps", s.createApp},
		{"GET /apps/{app}", s.getApp},
		{"DELETE /apps/{app}", s.deleteApp},
		{"GET /apps/{app}/builds", s.listBuilds},
		{"POST /apps/{app}/builds", s.createBuild},
		{"GET /apps/{app}/builds/{id}", s.getBuild},
		{"GET /apps/{app}/builds/{id}/logs", s.buildLogs},
		{"POST /apps/{app}/sources", s.createUpload},
		{"GET /apps/{app}/environment", s.environment},
		{"GET /apps/{app}/releases", s.listReleases},
		{"POST /apps/{app}/releases", s.createRelease},
		{"GET /apps/{app}/releases/{id}", s.getRelease},
		{"POST /apps/{app}/releases/{id}/promote", s.promoteRelease},
		{"GET /apps/{app}/releases/{id}/events", s.releaseEvents},
		{"POST /apps/{app}/cancel", s.cancelApp},
		{"GET /apps/{app}/deployments", s.deployments},
		{"GET /apps/{app}/services", s.listServices},
		{"PUT /apps/{app}/services/{service}", s.updateService},
		{"POST /apps/{app}/services/{service}/restart", s.restartService},
		{"POST /apps/{app}/services/{service}/processes", s.runProcess},
		{"GET /apps/{app}/processes", s.listProcesses},
		{"GET /apps/{app}/logs", s.appLogs},
		{"GET /apps/{app}/processes/{pid}", s.getProcess},
		{"DELETE /apps/{app}/processes/{pid}", s.stopProcess},
	}
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
