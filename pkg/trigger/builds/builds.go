// Package builds moves builds forward from the state changes of the
// rack's CodeBuild project: the handler behind the rule that sends
// "CodeBuild Build State Change" events of the rack's builder.
//
// Events arrive at least once, late and out of order; a build only moves
// forward (created → running → complete or failed), so a replay or a late
// IN_PROGRESS changes nothing.
package builds

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	awsevents "github.com/aws/aws-lambda-go/events"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/service"
)

// Builds is what the handler changes; *service.Builds satisfies it.
type Builds interface {
	ApplyBuildProgress(ctx context.Context, app, id string, p service.BuildProgress) (rack.Build, error)
	// ReconcileBuilds brings every build in flight up to date with its job.
	ReconcileBuilds(ctx context.Context) error
}

// Handler applies the build state changes of one rack's builder.
type Handler struct {
	rack    string
	project string
	builds  Builds
	log     *slog.Logger
}

// New returns a handler for the builds of rack, run by CodeBuild project.
func New(rackName, project string, builds Builds, log *slog.Logger) *Handler {
	return &Handler{rack: rackName, project: project, builds: builds, log: log}
}

// Handle applies one event. Events of other projects, racks or kinds are
// ignored; an unreadable event is an error, so it ends in the dead-letter
// queue.
func (h *Handler) Handle(ctx context.Context, ev awsevents.CloudWatchEvent) error {
	log := h.log.With("event", ev.ID)
	if ev.Source == events.ScheduledEventSource && ev.DetailType == events.ScheduledEventDetailType {
		// The sweep: whatever events were lost, builds catch up here.
		return h.builds.ReconcileBuilds(ctx)
	}
	if ev.Source != events.CodeBuildEventSource || ev.DetailType != events.CodeBuildBuildStateChangeDetailType {
		log.DebugContext(ctx, "ignored: not a build state change", "source", ev.Source, "detail-type", ev.DetailType)
		return nil
	}
	var d awsevents.CodeBuildEventDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return fmt.Errorf("build state change %s: decode detail: %w", ev.ID, err)
	}
	if d.ProjectName != h.project {
		log.DebugContext(ctx, "ignored: another project", "project", d.ProjectName)
		return nil
	}
	vars := map[string]string{}
	for _, v := range d.AdditionalInformation.Environment.EnvironmentVariables {
		if v.Type == "PLAINTEXT" || v.Type == "" {
			vars[v.Name] = v.Value
		}
	}
	app, id := vars[events.BuildVariableApp], vars[events.BuildVariableBuild]
	if vars[events.BuildVariableRack] != h.rack || app == "" || !rack.ValidID(rack.BuildIDPrefix, id) {
		log.WarnContext(ctx, "ignored: not a build of this rack", "rack", vars[events.BuildVariableRack], "app", app, "build", id)
		return nil
	}
	status, ok := rack.BuilderStatus(string(d.BuildStatus))
	if !ok {
		log.WarnContext(ctx, "ignored: unknown build status", "status", d.BuildStatus)
		return nil
	}
	info := d.AdditionalInformation
	p := service.BuildProgress{
		Status:    status,
		Logs:      info.Logs.DeepLink,
		LogGroup:  info.Logs.GroupName,
		LogStream: info.Logs.StreamName,
		Started:   time.Time(info.BuildStartTime),
	}
	if status == rack.BuildComplete || status == rack.BuildFailed {
		p.Ended = ev.Time
	}
	if status == rack.BuildFailed {
		p.Reason = reason(d)
	}
	_, err := h.builds.ApplyBuildProgress(ctx, app, id, p)
	if rack.IsCode(err, rack.ENOTFOUND) {
		log.InfoContext(ctx, "ignored: no such build", "app", app, "build", id)
		return nil
	}
	if err != nil {
		return fmt.Errorf("build %s of app %s: %w", id, app, err)
	}
	return nil
}

// reason says why a build failed: its failed phase and what it said.
func reason(d awsevents.CodeBuildEventDetail) string {
	phases := make([]rack.BuilderPhase, 0, len(d.AdditionalInformation.Phases))
	for _, p := range d.AdditionalInformation.Phases {
		ph := rack.BuilderPhase{Type: string(p.PhaseType), Status: string(p.PhaseStatus)}
		for _, c := range p.PhaseContext {
			ph.Context = append(ph.Context, fmt.Sprint(c))
		}
		phases = append(phases, ph)
	}
	return rack.BuilderFailure(string(d.BuildStatus), phases)
}
