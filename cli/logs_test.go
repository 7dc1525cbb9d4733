package main

import (
	"testing"
	"time"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

func TestLogsNoFollow(t *testing.T) {
	r, tm := loggedIn(t, "myapp")
	now := r.clock.Now()
	group := names.LogGroup("dev", "myapp")
	r.logs.Put(group,
		rack.LogEvent{Time: now.Add(-time.Hour), Stream: "service/web/1", Message: "an hour ago", ID: "1"},
		rack.LogEvent{Time: now.Add(-time.Minute), Stream: "service/web/1", Message: "listening on 3000\n", ID: "2"},
		rack.LogEvent{Time: now.Add(-30 * time.Second), Stream: "service/worker/2", Message: "working", ID: "3"},
	)
	at := func(d time.Duration) string { return now.Add(d).UTC().Format(time.RFC3339) }
	tm.ok("", []string{"logs", "--no-follow", "-a", "myapp"}, lines(
		at(-time.Minute)+" service/web/1 listening on 3000",
		at(-30*time.Second)+" service/worker/2 working",
	), "")
	tm.ok("", []string{"logs", "--no-follow", "--since", "2h", "--filter", "an hour", "-a", "myapp"}, lines(
		at(-time.Hour)+" service/web/1 an hour ago",
	), "")
	tm.fails("", []string{"logs", "--no-follow", "-a", "nope"}, "", "ERROR: app not found: nope\n")
	tm.fails("", []string{"logs", "--no-follow", "--since", "400h", "-a", "myapp"}, "", "ERROR: since must be between 0 and 336h0m0s\n")
}

func TestRackLogsNoFollow(t *testing.T) {
	r, tm := loggedIn(t, "")
	now := r.clock.Now()
	r.logs.Put("/rack/dev/api", rack.LogEvent{Time: now.Add(-time.Minute), Stream: "2026/11/02/[$LATEST]abc", Message: `{"level":"INFO","msg":"request"}`, ID: "1"})
	r.logs.Put("/rack/dev/releases", rack.LogEvent{Time: now.Add(-90 * time.Second), Stream: "2026/11/02/[$LATEST]def", Message: `{"level":"INFO","msg":"sweep"}`, ID: "2"})
	at := func(d time.Duration) string { return now.Add(d).UTC().Format(time.RFC3339) }
	tm.ok("", []string{"rack", "logs", "--no-follow"}, lines(
		at(-90*time.Second)+` rack/releases {"level":"INFO","msg":"sweep"}`,
		at(-time.Minute)+` rack/api {"level":"INFO","msg":"request"}`,
	), "")
	tm.ok("", []string{"rack", "logs", "--no-follow", "--filter", "sweep"}, lines(
		at(-90*time.Second)+` rack/releases {"level":"INFO","msg":"sweep"}`,
	), "")
}
