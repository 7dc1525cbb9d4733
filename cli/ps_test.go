package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

func TestProcesses(t *testing.T) {
	r, tm, first := deployed(t)
	// The terminal's clock runs two minutes after the rack's.
	started := r.clock.Now()
	r.tasks.Add("myapp", rack.Process{ID: "0f1e2d3c4b5a69788796a5b4c3d2e1f0", Name: "web", Release: first, Status: rack.ProcessRunning,
		Command: "npm start", Instance: "4c1b8a2e", Started: started})
	r.tasks.Add("myapp", rack.Process{ID: "1a2b3c4d5e6f708192a3b4c5d6e7f809", Name: "worker", Release: first, Status: rack.ProcessPending,
		Command: "python worker.py", Started: started.Add(time.Minute)})
	r.tasks.Release = first
	tm.ok("", []string{"ps", "-a", "myapp"}, lines(
		"ID                                SERVICE  STATUS   RELEASE      STARTED        COMMAND",
		"0f1e2d3c4b5a69788796a5b4c3d2e1f0  web      running  "+first+"  2 minutes ago  npm start",
		"1a2b3c4d5e6f708192a3b4c5d6e7f809  worker   pending  "+first+"  1 minute ago   python worker.py",
	), "")
	tm.ok("", []string{"ps", "-a", "myapp", "-s", "worker"}, lines(
		"ID                                SERVICE  STATUS   RELEASE      STARTED       COMMAND",
		"1a2b3c4d5e6f708192a3b4c5d6e7f809  worker   pending  "+first+"  1 minute ago  python worker.py",
	), "")
	tm.ok("", []string{"ps", "-a", "myapp", "--release", "RNOPENOPENO"}, "ID  SERVICE  STATUS  RELEASE  STARTED  COMMAND\n", "")
	tm.ok("", []string{"ps", "info", "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "-a", "myapp"}, lines(
		"Id        0f1e2d3c4b5a69788796a5b4c3d2e1f0",
		"App       myapp",
		"Command   npm start",
		"Instance  4c1b8a2e",
		"Release   "+first,
		"Service   web",
		"Started   2 minutes ago",
		"Status    running",
	), "")

	tm.ok("", []string{"run", "worker", "rake", "db:migrate", "--detach", "-a", "myapp"},
		"Running detached process... OK, 00000000000000000000000000000001\n", "")
	tm.ok("", []string{"ps", "-a", "myapp", "-s", "worker"}, lines(
		"ID                                SERVICE  STATUS   RELEASE      STARTED        COMMAND",
		"1a2b3c4d5e6f708192a3b4c5d6e7f809  worker   pending  "+first+"  1 minute ago   python worker.py",
		"00000000000000000000000000000001  worker   pending  "+first+"  2 minutes ago  rake db:migrate",
	), "")
	tm.ok("", []string{"ps", "stop", "00000000000000000000000000000001", "-a", "myapp"}, "Stopping 00000000000000000000000000000001... OK\n", "")
	tm.fails("", []string{"ps", "stop", "00000000000000000000000000000001", "-a", "myapp"},
		"Stopping 00000000000000000000000000000001... ", "ERROR: process not found: 00000000000000000000000000000001\n")
	tm.fails("", []string{"ps", "info", "nope", "-a", "myapp"}, "", "ERROR: process not found: nope\n")
	tm.fails("", []string{"run", "nope", "date", "-d", "-a", "myapp"}, "Running detached process... ", "ERROR: service not found: nope\n")
	tm.fails("", []string{"run", "web", "-d", "-a", "myapp"}, "", "ERROR: at least 2 args required\n")
}

func TestRunAttached(t *testing.T) {
	r, tm, _ := deployed(t)
	group := names.LogGroup("dev", "myapp")
	pid := "00000000000000000000000000000001"
	sleeps := 0
	tm.onSleep = func() {
		sleeps++
		r.clock.Advance(time.Second)
		switch sleeps {
		case 1:
			r.logs.Put(group, rack.LogEvent{Time: r.clock.Now(), Stream: "service/worker/" + pid, Message: "migrating\n", ID: "1"},
				rack.LogEvent{Time: r.clock.Now(), Stream: "service/web/other", Message: "not the run's", ID: "2"})
		case 2:
			r.logs.Put(group, rack.LogEvent{Time: r.clock.Now(), Stream: "service/worker/" + pid, Message: "failed: no table", ID: "3"})
			r.tasks.Finish("myapp", pid, 3)
		}
	}
	res := tm.run("", "run", "worker", "rake", "db:migrate", "-a", "myapp")
	require.Equal(t, result{3, "migrating\nfailed: no table\n", ""}, res, "its output, and its exit code")

	// A run that does not end is stopped at its timeout.
	tm.onSleep = func() { r.clock.Advance(time.Second) }
	tm.fails("", []string{"run", "worker", "sleep", "infinity", "--timeout", "3", "-a", "myapp"}, "",
		"ERROR: process 00000000000000000000000000000002: still running after 3s: stopped\n")
	_, err := r.tasks.Process(context.Background(), "myapp", "00000000000000000000000000000002")
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(err), "stopped")
}
