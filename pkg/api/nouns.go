package api

import (
	"context"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/service"
)

// The API's view of each noun's use cases: what its routes call, and no
// more. The types of pkg/service satisfy them; tests may pass anything that
// does.

// Apps is what the app routes call.
type Apps interface {
	CreateApp(ctx context.Context, name string) (rack.App, error)
	GetApp(ctx context.Context, name string) (rack.App, error)
	ListApps(ctx context.Context, page rack.Page) ([]rack.App, string, error)
	DeleteApp(ctx context.Context, name string) (rack.App, error)
}

// Builds is what the build routes call.
type Builds interface {
	ListBuilds(ctx context.Context, app string, page rack.Page) ([]rack.Build, string, error)
	GetBuild(ctx context.Context, app, id string) (rack.Build, error)
	CreateUpload(ctx context.Context, app string) (service.Upload, error)
	CreateBuild(ctx context.Context, app string, opts service.BuildOptions) (rack.Build, error)
	ReadBuildLog(ctx context.Context, app, id, cursor string, limit int) (service.BuildLog, error)
}

// Releases is what the release and environment routes call.
type Releases interface {
	ListReleases(ctx context.Context, app string, page rack.Page) ([]rack.Release, string, error)
	GetRelease(ctx context.Context, app, id string) (rack.Release, rack.Environment, error)
	LatestEnvironment(ctx context.Context, app string) (rack.Environment, string, error)
	CreateRelease(ctx context.Context, app string, opts service.ReleaseOptions) (rack.Release, error)
}

// Promotions is what the promote and cancel routes call.
type Promotions interface {
	Promote(ctx context.Context, app, id string) (rack.Release, error)
	Cancel(ctx context.Context, app string) error
	Events(ctx context.Context, app, id string) ([]rack.StackEvent, error)
	Deployments(ctx context.Context, app string) ([]rack.Deployment, error)
}

// Services is what the service routes call.
type Services interface {
	ListServices(ctx context.Context, app string) ([]rack.Service, error)
	UpdateService(ctx context.Context, app, service string, u service.ServiceUpdate) (string, error)
	RestartService(ctx context.Context, app, service string) error
}

// Processes is what the process routes call.
type Processes interface {
	ListProcesses(ctx context.Context, app string, f service.ProcessFilter) ([]rack.Process, error)
	GetProcess(ctx context.Context, app, id string) (rack.Process, error)
	StopProcess(ctx context.Context, app, id string) error
	RunProcess(ctx context.Context, app, service, command string) (rack.Process, error)
}

// Logs is what the log routes call.
type Logs interface {
	AppLogs(ctx context.Context, app string, q service.LogQuery) (service.LogPage, error)
	RackLogs(ctx context.Context, q service.LogQuery) (service.LogPage, error)
}

// System is what the system routes call.
type System interface {
	System(ctx context.Context) (rack.System, error)
	UpdateSystem(ctx context.Context, o service.SystemUpdateOptions) ([]rack.StackChange, error)
}

var (
	_ Apps       = (*service.Apps)(nil)
	_ Builds     = (*service.Builds)(nil)
	_ Releases   = (*service.Releases)(nil)
	_ System     = (*service.System)(nil)
	_ Promotions = (*service.Promotions)(nil)
	_ Services   = (*service.Services)(nil)
	_ Processes  = (*service.Processes)(nil)
	_ Logs       = (*service.Logs)(nil)
)
