package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
	"github.com/rackhq/rack/pkg/service"
)

func (s *Server) appLogs(w http.ResponseWriter, r *http.Request) error {
	lq, err := logQuery(r)
	if err != nil {
		return err
	}
	page, err := s.logs.AppLogs(r.Context(), r.PathValue("app"), lq)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, logPage(page))
}

func (s *Server) rackLogs(w http.ResponseWriter, r *http.Request) error {
	lq, err := logQuery(r)
	if err != nil {
		return err
	}
	page, err := s.logs.RackLogs(r.Context(), lq)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, logPage(page))
}

func logPage(page service.LogPage) sdk.LogPage {
	out := sdk.LogPage{Events: make([]sdk.AppLogEvent, 0, len(page.Events)), Next: page.Next}
	for _, e := range page.Events {
		out.Events = append(out.Events, sdk.AppLogEvent{Time: e.Time, Stream: e.Stream, Message: e.Message})
	}
	return out
}

// logQuery reads a log read's query: since, filter, cursor, follow, limit,
// service and process.
func logQuery(r *http.Request) (service.LogQuery, error) {
	q := r.URL.Query()
	lq := service.LogQuery{Filter: q.Get("filter"), Cursor: q.Get("cursor"), Service: q.Get("service"), Process: q.Get("process")}
	if v := q.Get("since"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return lq, rack.Errorf(rack.EINVALID, "since %q is not a duration (such as 10m or 2h)", v)
		}
		lq.Since = d
	} else {
		lq.Since = 2 * time.Minute
	}
	if v := q.Get("follow"); v != "" {
		f, err := strconv.ParseBool(v)
		if err != nil {
			return lq, rack.Errorf(rack.EINVALID, "follow %q is not true or false", v)
		}
		lq.Follow = f
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return lq, rack.Errorf(rack.EINVALID, "limit %q is not a number", v)
		}
		lq.Limit = n
	}
	return lq, nil
}
