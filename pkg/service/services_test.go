package service_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/testkit/fake"
)

const scaledManifest = "services:\n  web:\n    build: .\n    port: 3000\n    scale:\n      count: 2\n      memory: 1024\n  worker:\n    build: .\n"

func newServicesWorld(t *testing.T) (*promoteWorld, *service.Services, *fake.Running) {
	w := newPromoteWorld(t)
	running := fake.NewRunning()
	core := service.NewCore(service.CoreConfig{Rack: "dev", Events: w.events, Now: w.clock.Now})
	return w, service.NewServices(core, w.promotions, w.releases, running), running
}

func TestServicesOfTheActiveRelease(t *testing.T) {
	ctx := context.Background()
	w, services, running := newServicesWorld(t)
	ss, err := services.ListServices(ctx, "web")
	require.NoError(t, err)
	require.Empty(t, ss, "nothing deployed yet")

	r := w.release(t, scaledManifest, rack.Environment{})
	_, err = w.promotions.Promote(ctx, "web", r.ID)
	require.NoError(t, err)
	running.Hosts["web"] = map[string][]string{"web": {"web.web.dev.example.org", "www.example.org"}}
	ss, err = services.ListServices(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, []rack.Service{
		{Name: "web", Domain: "web.web.dev.example.org", Ports: []rack.ServicePort{{Balancer: 80, Container: 3000}}, Count: 2, CPU: 256, Memory: 1024},
		{Name: "worker", Count: 1, CPU: 256, Memory: 512},
	}, ss)

	_, err = services.ListServices(ctx, "nope")
	requireCode(t, rack.ENOTFOUND, err)
}

func TestScaleCountIsImmediateAndKept(t *testing.T) {
	ctx := context.Background()
	w, services, running := newServicesWorld(t)
	r := w.release(t, scaledManifest, rack.Environment{})
	_, err := w.promotions.Promote(ctx, "web", r.ID)
	require.NoError(t, err)

	three := 3
	id, err := services.UpdateService(ctx, "web", "web", service.ServiceUpdate{Count: &three})
	require.NoError(t, err)
	require.Empty(t, id, "a count is no new release")
	require.Equal(t, 3, running.Counts["web/web"], "set in ECS at once")
	ss, err := services.ListServices(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, 3, ss[0].Count)

	// A later promotion renders the count recorded.
	r2 := w.release(t, scaledManifest+"    command: work harder\n", rack.Environment{})
	_, err = w.promotions.Promote(ctx, "web", r2.ID)
	require.NoError(t, err)
	require.Contains(t, w.updates.Template("web"), `"DesiredCount":3`)

	zero := 0
	_, err = services.UpdateService(ctx, "web", "worker", service.ServiceUpdate{Count: &zero})
	require.NoError(t, err)
	ss, err = services.ListServices(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, 0, ss[1].Count, "a count of 0 is a count")
}

func TestScaleSizeIsANewReleasePromoted(t *testing.T) {
	ctx := context.Background()
	w, services, running := newServicesWorld(t)
	r := w.release(t, scaledManifest, rack.Environment{"A": "1"})
	_, err := w.promotions.Promote(ctx, "web", r.ID)
	require.NoError(t, err)

	cpu, memory := 512, 2048
	id, err := services.UpdateService(ctx, "web", "worker", service.ServiceUpdate{CPU: &cpu, Memory: &memory})
	require.NoError(t, err)
	require.NotEmpty(t, id)
	require.Empty(t, running.Counts, "no count set")
	got, env, err := w.releases.GetRelease(ctx, "web", id)
	require.NoError(t, err)
	require.Equal(t, rack.ReleaseActive, got.Status)
	require.Equal(t, r.Build, got.Build)
	require.Equal(t, rack.Environment{"A": "1"}, env)
	require.Equal(t, "scale worker cpu=512 memory=2048", got.Description)
	require.Contains(t, w.updates.Template("web"), `"Cpu":512,"Memory":2048`)
	ss, err := services.ListServices(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, rack.Service{Name: "worker", Count: 1, CPU: 512, Memory: 2048}, ss[1])
}

func TestScaleRefusesWhatCannotBe(t *testing.T) {
	ctx := context.Background()
	w, services, _ := newServicesWorld(t)
	two := 2
	_, err := services.UpdateService(ctx, "web", "web", service.ServiceUpdate{Count: &two})
	requireCode(t, rack.ECONFLICT, err)
	require.Equal(t, "app web has no release to scale: deploy it first", rack.ErrorMessage(err))

	r := w.release(t, "services:\n  web:\n    build: .\n    singleton: true\n  agent:\n    build: .\n    agent: true\n", rack.Environment{})
	_, err = w.promotions.Promote(ctx, "web", r.ID)
	require.NoError(t, err)
	for _, c := range []struct {
		service string
		u       service.ServiceUpdate
		code    string
		message string
	}{
		{"web", service.ServiceUpdate{}, rack.EINVALID, "nothing to change: give a count, cpu or memory"},
		{"nope", service.ServiceUpdate{Count: &two}, rack.ENOTFOUND, "service not found: nope"},
		{"web", service.ServiceUpdate{Count: &two}, rack.EINVALID, "service web is a singleton: its count is 0 or 1"},
		{"agent", service.ServiceUpdate{Count: &two}, rack.EINVALID, "service agent is an agent: it runs one task on every instance, and has no count"},
		{"web", service.ServiceUpdate{Count: ptr(-1)}, rack.EINVALID, "count must be between 0 and 1000"},
		{"web", service.ServiceUpdate{CPU: ptr(64)}, rack.EINVALID, "cpu must be between 128 and 16384 units"},
		{"web", service.ServiceUpdate{Memory: ptr(1 << 20)}, rack.EINVALID, "memory must be between 128 and 122880 MiB"},
	} {
		_, err := services.UpdateService(ctx, "web", c.service, c.u)
		requireCode(t, c.code, err)
		require.Equal(t, c.message, rack.ErrorMessage(err))
	}
	a, err := w.store.GetApp(ctx, "web")
	require.NoError(t, err)
	require.Empty(t, a.Scale, "nothing recorded")
}

func TestRestartService(t *testing.T) {
	ctx := context.Background()
	w, services, running := newServicesWorld(t)
	r := w.release(t, scaledManifest, rack.Environment{})
	_, err := w.promotions.Promote(ctx, "web", r.ID)
	require.NoError(t, err)
	require.NoError(t, services.RestartService(ctx, "web", "worker"))
	require.Equal(t, []string{"web/worker"}, running.Restarts)
	requireCode(t, rack.ENOTFOUND, services.RestartService(ctx, "web", "nope"))
}

func ptr(n int) *int { return &n }
