package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
)

func TestServicesScaleAndRestart(t *testing.T) {
	r, tm, first := deployed(t)
	ctx := context.Background()
	r.running.Hosts["myapp"] = map[string][]string{"web": {"web.myapp.dev.example.org"}}
	tm.ok("", []string{"services", "-a", "myapp"}, lines(
		"SERVICE  DOMAIN                     PORTS",
		"web      web.myapp.dev.example.org  80:3000",
		"worker                              ",
	), "")
	r.updates.SetDeployments("myapp", []rack.Deployment{
		{Service: "web", State: "COMPLETED", Desired: 1, Running: 1, Updated: r.clock.Now()},
		{Service: "worker", State: "COMPLETED", Desired: 1, Running: 1, Updated: r.clock.Now()},
	})
	tm.ok("", []string{"scale", "-a", "myapp"}, lines(
		"SERVICE  DESIRED  RUNNING  CPU  MEMORY",
		"web      1        1        256  512",
		"worker   1        1        256  512",
	), "")

	// A count: set in ECS at once; --wait follows the deployment.
	tm.ok("", []string{"scale", "web", "--count", "3", "-a", "myapp"}, "Scaling web... OK\n", "")
	require.Equal(t, 3, r.running.Counts["myapp/web"])
	sleeps := 0
	tm.onSleep = func() {
		sleeps++
		r.clock.Advance(5 * time.Second)
		d := rack.Deployment{Service: "web", State: "IN_PROGRESS", Desired: 4, Running: 3, Pending: 1, Updated: r.clock.Now()}
		if sleeps > 1 {
			d.State, d.Running, d.Pending = "COMPLETED", 4, 0
		}
		r.updates.SetDeployments("myapp", []rack.Deployment{d})
	}
	r.updates.SetDeployments("myapp", []rack.Deployment{{Service: "web", State: "COMPLETED", Desired: 3, Running: 3, Updated: r.clock.Now()}})
	at := func(d time.Duration) string { return r.clock.Now().Add(d).UTC().Format(time.RFC3339) }
	tm.ok("", []string{"scale", "web", "--count", "4", "--wait", "-a", "myapp"}, lines(
		"Scaling web... ",
		at(0)+" web deployment COMPLETED 3/3 running",
		at(5*time.Second)+" web deployment IN_PROGRESS 3/4 running, 1 pending",
		at(10*time.Second)+" web deployment COMPLETED 4/4 running",
		"OK",
	), "")
	tm.onSleep = nil

	// A size: a new release of the active one, promoted.
	tm.ok("", []string{"scale", "worker", "--memory", "1024", "-a", "myapp"}, "Scaling worker... OK\n", "")
	a, err := r.store.GetApp(ctx, "myapp")
	require.NoError(t, err)
	require.NotEqual(t, first, a.Release)
	rel, err := r.store.GetRelease(ctx, "myapp", a.Release)
	require.NoError(t, err)
	require.Equal(t, "scale worker memory=1024", rel.Description)
	require.Equal(t, rack.ReleaseActive, rel.Status)
	tm.ok("", []string{"scale", "-a", "myapp"}, lines(
		"SERVICE  DESIRED  RUNNING  CPU  MEMORY",
		"web      4        4        256  512",
		"worker   1        0        256  1024",
	), "")

	// Convox's argument rules and the rack's refusals.
	tm.fails("", []string{"scale", "--count", "2", "-a", "myapp"}, "", "ERROR: service name required\n")
	tm.fails("", []string{"scale", "web", "-a", "myapp"}, "", "ERROR: 0 args required\n")
	tm.fails("", []string{"scale", "nope", "--count", "2", "-a", "myapp"}, "Scaling nope... ", "ERROR: service not found: nope\n")
	tm.fails("", []string{"scale", "web", "--count", "-1", "-a", "myapp"}, "Scaling web... ", "ERROR: count must be between 0 and 1000\n")

	tm.ok("", []string{"services", "restart", "worker", "-a", "myapp"}, "Restarting worker... OK\n", "")
	tm.ok("", []string{"restart", "-a", "myapp"}, "Restarting web... OK\nRestarting worker... OK\n", "")
	require.Equal(t, []string{"myapp/worker", "myapp/web", "myapp/worker"}, r.running.Restarts)
	tm.fails("", []string{"services", "restart", "nope", "-a", "myapp"}, "Restarting nope... ", "ERROR: service not found: nope\n")
}
