package service

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

// LogGroups read log groups across their streams.
type LogGroups interface {
	// GroupEvents returns group's events from start on, oldest first, of
	// the streams whose names start with prefix, that match pattern, at
	// most limit.
	GroupEvents(ctx context.Context, group, prefix string, start time.Time, pattern string, limit int) ([]rack.LogEvent, error)
}

// SystemLogs are the deploy events of an app (its stack's, ECS's), as
// log events.
type SystemLogs interface {
	LogEvents(ctx context.Context, app string, since time.Time) ([]rack.LogEvent, error)
}

// Logs are an app's logs: its containers' output and its deploys' events,
// in time order, read by a cursor that never shows an event twice.
type Logs struct {
	*Core
	store  rack.AppStore
	groups LogGroups
	system []SystemLogs
	// Poll is how often a following read looks again; Wait is how long
	// it waits for something new before it answers with nothing; Sleep
	// waits (a test's clock may stand in).
	Poll, Wait time.Duration
	Sleep      func(ctx context.Context, d time.Duration) error
	// RackGroups are the log groups of the rack's own functions, by
	// function.
	RackGroups map[string]string
}

// NewLogs returns the logs use cases.
func NewLogs(core *Core, store rack.AppStore, groups LogGroups, system ...SystemLogs) *Logs {
	return &Logs{Core: core, store: store, groups: groups, system: system, Poll: time.Second, Wait: 20 * time.Second, Sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// LogQuery asks for an app's logs.
type LogQuery struct {
	Since  time.Duration // how far back a first read goes
	Filter string        // CloudWatch Logs' filter syntax for containers' lines; a plain substring for the rest
	Cursor string        // the Next of the previous read; "" for the first
	Follow bool          // wait, up to Wait, for something new
	Limit  int
	// Service and Process narrow the read to one service's containers,
	// or one process's (with its service); the deploys' events are left
	// out then.
	Service, Process string
}

// LogPage is one read of an app's logs.
type LogPage struct {
	Events []rack.LogEvent
	Next   string // the cursor to read on from
}

// MaxLogSince is how far back logs go.
const MaxLogSince = 14 * 24 * time.Hour

// logCursor is where a read ended: the time of its newest event, and the
// ids of the events of that millisecond, which the next read, starting at
// that millisecond, leaves out.
type logCursor struct {
	T   int64    `json:"t"`
	IDs []string `json:"ids,omitempty"`
}

// AppLogs reads app's logs after the cursor (or since q.Since), and under
// Follow waits for new ones.
func (l *Logs) AppLogs(ctx context.Context, app string, q LogQuery) (LogPage, error) {
	if _, err := l.store.GetApp(ctx, app); err != nil {
		return LogPage{}, err
	}
	return l.page(ctx, q, func(cur logCursor, limit int) ([]rack.LogEvent, error) { return l.read(ctx, app, cur, q, limit) })
}

// RackLogs reads the logs of the rack's own functions (RackGroups), as
// AppLogs reads an app's, each line's stream rack/<function>.
func (l *Logs) RackLogs(ctx context.Context, q LogQuery) (LogPage, error) {
	groups := l.RackGroups
	q.Service, q.Process = "", ""
	return l.page(ctx, q, func(cur logCursor, limit int) ([]rack.LogEvent, error) {
		var evs []rack.LogEvent
		for _, fn := range slices.Sorted(maps.Keys(groups)) {
			got, err := l.groups.GroupEvents(ctx, groups[fn], "", time.UnixMilli(cur.T), q.Filter, limit)
			if err != nil {
				return nil, err
			}
			for _, e := range got {
				e.Stream = "rack/" + fn
				evs = append(evs, e)
			}
		}
		return settle(evs, cur, limit), nil
	})
}

// page checks q and reads after its cursor, waiting under Follow.
func (l *Logs) page(ctx context.Context, q LogQuery, read func(cur logCursor, limit int) ([]rack.LogEvent, error)) (LogPage, error) {
	if q.Process != "" && q.Service == "" {
		return LogPage{}, rack.Errorf(rack.EINVALID, "a process's logs need its service too")
	}
	if strings.ContainsAny(q.Service+q.Process, "/*") {
		return LogPage{}, rack.Errorf(rack.EINVALID, "service and process are names, not paths")
	}
	if q.Since < 0 || q.Since > MaxLogSince {
		return LogPage{}, rack.Errorf(rack.EINVALID, "since must be between 0 and %s", MaxLogSince)
	}
	limit := cmp.Or(q.Limit, 1000)
	if limit < 1 || limit > 10000 {
		return LogPage{}, rack.Errorf(rack.EINVALID, "limit must be between 1 and 10000")
	}
	cur := logCursor{T: l.now().Add(-q.Since).UnixMilli()}
	if q.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		cur = logCursor{}
		if err != nil || json.Unmarshal(raw, &cur) != nil || cur.T <= 0 || len(cur.IDs) > 10000 {
			return LogPage{}, rack.Errorf(rack.EINVALID, "the log cursor is not one this app's logs gave")
		}
	}
	deadline := l.now().Add(l.Wait)
	for {
		evs, err := read(cur, limit)
		if err != nil {
			return LogPage{}, err
		}
		if len(evs) > 0 || !q.Follow || !l.now().Before(deadline) {
			return LogPage{Events: evs, Next: next(cur, evs)}, nil
		}
		if err := l.Sleep(ctx, l.Poll); err != nil {
			return LogPage{Events: []rack.LogEvent{}, Next: next(cur, nil)}, nil
		}
	}
}

// read merges every source from the cursor's time on, in time order,
// without the events the cursor says were shown.
func (l *Logs) read(ctx context.Context, app string, cur logCursor, q LogQuery, limit int) ([]rack.LogEvent, error) {
	start, filter := time.UnixMilli(cur.T), q.Filter
	prefix := ""
	if q.Service != "" {
		prefix = "service/" + q.Service + "/"
		if q.Process != "" {
			prefix += q.Process
		}
	}
	evs, err := l.groups.GroupEvents(ctx, names.LogGroup(l.rack, app), prefix, start, filter, limit)
	if err != nil {
		return nil, err
	}
	for _, s := range l.system {
		if prefix != "" {
			break
		}
		sys, err := s.LogEvents(ctx, app, start)
		if rack.IsCode(err, rack.ENOTFOUND) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range sys {
			if filter == "" || strings.Contains(strings.ToLower(e.Message), strings.ToLower(filter)) {
				evs = append(evs, e)
			}
		}
	}
	return settle(evs, cur, limit), nil
}

// settle orders evs, leaves out those the cursor says were read, and
// keeps at most limit.
func settle(evs []rack.LogEvent, cur logCursor, limit int) []rack.LogEvent {
	seen := map[string]bool{}
	for _, id := range cur.IDs {
		seen[id] = true
	}
	out := evs[:0]
	for _, e := range evs {
		if e.Time.UnixMilli() < cur.T || (e.Time.UnixMilli() == cur.T && seen[e.ID]) {
			continue
		}
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b rack.LogEvent) int {
		return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.Stream, b.Stream), strings.Compare(a.ID, b.ID))
	})
	out = slices.CompactFunc(out, func(a, b rack.LogEvent) bool { return a.ID != "" && a.ID == b.ID && a.Stream == b.Stream })
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// next is the cursor after evs: their newest millisecond, and the ids of
// that millisecond (with the cursor's, when evs add to its millisecond).
func next(cur logCursor, evs []rack.LogEvent) string {
	n := cur
	if len(evs) > 0 {
		last := evs[len(evs)-1].Time.UnixMilli()
		if last != cur.T {
			n = logCursor{T: last}
		} else {
			n.IDs = slices.Clone(cur.IDs)
		}
		for _, e := range evs {
			if e.Time.UnixMilli() == last {
				n.IDs = append(n.IDs, e.ID)
			}
		}
	}
	raw, err := json.Marshal(n)
	if err != nil {
		panic(errors.Join(errors.New("encode log cursor"), err))
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}
