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
	"strings"
	"time"

	awsevents "github.com/aws/aws-lambda-go/events"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/service"
)

// Builds is what the handler changes; *service.Builds satisfies it.
type Builds interface {
	ApplyBuildProgress(ctx context.Context, app, id string, p service.BuildProgress) (rack.Build, error)
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

// statuses maps CodeBuild's build status to the build's.
var statuses = map[awsevents.CodeBuildPhaseStatus]rack.BuildStatus{
	"IN_PROGRESS": rack.BuildRunning,
	"SUCCEEDED":   rack.BuildComplete,
	"FAILED":      rack.BuildFailed,
	"FAULT":       rack.BuildFailed,
	"STOPPED":     rack.BuildFailed,
	"TIMED_OUT":   rack.BuildFailed,
}

// Handle applies one event. Events of other projects, racks or kinds are
// ignored; an unreadable event is an error, so it ends in the dead-letter
// queue.
func (h *Handler) Handle(ctx context.Context, ev awsevents.CloudWatchEvent) error {
	log := h.log.With("event", ev.ID)
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
	status, ok := statuses[d.BuildStatus]
	if !ok {
		log.WarnContext(ctx, "ignored: unknown build status", "status", d.BuildStatus)
		return nil
	}
	p := service.BuildProgress{
		Status:  status,
		Logs:    d.AdditionalInformation.Logs.DeepLink,
		Started: time.Time(d.AdditionalInformation.BuildStartTime),
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

// reason says why a build failed: the context of its failed phase, or its
// status.
func reason(d awsevents.CodeBuildEventDetail) string {
	for _, p := range d.AdditionalInformation.Phases {
		if p.PhaseStatus == "FAILED" || p.PhaseStatus == "FAULT" || p.PhaseStatus == "TIMED_OUT" {
			var parts []string
			for _, c := range p.PhaseContext {
				if text := strings.TrimSpace(strings.Trim(fmt.Sprint(c), ": ")); text != "" {
					parts = append(parts, text)
				}
			}
			if len(parts) > 0 {
				return fmt.Sprintf("%s: %s", p.PhaseType, strings.Join(parts, "; "))
			}
			return fmt.Sprintf("%s %s", p.PhaseType, strings.ToLower(string(p.PhaseStatus)))
		}
	}
	return "build " + strings.ToLower(string(d.BuildStatus))
}
