// Package stacks keeps apps current from the status events of their
// CloudFormation stacks: it is the handler behind the rule that sends the
// rack's "CloudFormation Stack Status Change" events to a Lambda function.
//
// Events arrive at least once, late and out of order, so the handler only
// ever asks the apps to move to the status an event reports; the apps
// refuse a move their state machine does not allow, and treat a move to
// where they already are as done. A replayed event therefore changes
// nothing. What the state machine cannot tell from status alone (a stale
// UPDATE_IN_PROGRESS after the update finished: running may become
// updating again) is undone by the next sweep, which reconciles every app
// in flight with its stack.
package stacks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	awsevents "github.com/aws/aws-lambda-go/events"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/appstack"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

// Apps is what the handler changes; *service.Apps satisfies it.
type Apps interface {
	// ApplyStackStatus moves app name to status, if it may move there.
	ApplyStackStatus(ctx context.Context, name string, status rack.AppStatus, reason string) (rack.App, error)
	// AppDeleted removes app name, whose stack is gone, and all it keeps.
	AppDeleted(ctx context.Context, name string) error
	// ReconcileApps brings every app in flight up to date with its stack.
	ReconcileApps(ctx context.Context) error
}

// Promotions are what the handler carries on; *service.Promotions
// satisfies it.
type Promotions interface {
	// Settle carries app's promotion, if it has one, as far as it goes.
	Settle(ctx context.Context, app string) error
	// SettleAll carries every promotion under way as far as it goes.
	SettleAll(ctx context.Context) error
}

// Handler applies stack status events to the apps of one rack.
type Handler struct {
	rack       string
	apps       Apps
	promotions Promotions
	log        *slog.Logger
}

// New returns a Handler for the app stacks of the named rack. A nil log
// discards.
func New(rack string, apps Apps, promotions Promotions, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{rack: rack, apps: apps, promotions: promotions, log: log}
}

// Handle applies one event. It ignores events that are not about one of
// the rack's app stacks, and events about an app the rack no longer has.
// An error means the event may succeed later (Lambda retries it) or can
// never be read (it ends in the dead-letter queue).
func (h *Handler) Handle(ctx context.Context, ev awsevents.CloudWatchEvent) error {
	log := h.log.With("event", ev.ID)
	if ev.Source == events.ScheduledEventSource && ev.DetailType == events.ScheduledEventDetailType {
		// The sweep: whatever events were lost, apps and their
		// promotions catch up here.
		return errors.Join(h.apps.ReconcileApps(ctx), h.promotions.SettleAll(ctx))
	}
	if ev.Source != events.CloudFormationEventSource || ev.DetailType != events.CloudFormationStackStatusChangeDetailType {
		log.DebugContext(ctx, "ignored: not a stack status change", "source", ev.Source, "detail-type", ev.DetailType)
		return nil
	}
	var detail events.CloudFormationStackStatusChangeDetail
	if err := json.Unmarshal(ev.Detail, &detail); err != nil {
		return fmt.Errorf("stack status change %s: decode detail: %w", ev.ID, err)
	}
	stack, err := events.StackName(detail.StackID)
	if err != nil {
		return fmt.Errorf("stack status change %s: %w", ev.ID, err)
	}
	status := detail.StatusDetails.Status
	log = log.With("stack", stack, "status", status)
	app, ok := h.appName(stack)
	if !ok {
		log.DebugContext(ctx, "ignored: not an app stack of this rack")
		return nil
	}

	if status == events.StackStatusDeleteComplete {
		err = h.apps.AppDeleted(ctx, app)
	} else {
		next := appstack.AppStatus(status)
		if next == "" {
			log.WarnContext(ctx, "ignored: unknown stack status")
			return nil
		}
		_, err = h.apps.ApplyStackStatus(ctx, app, next, detail.StatusDetails.StatusReason)
		if err == nil {
			// The end of a stack update may be the end of a promotion:
			// its own events say whether it is.
			err = h.promotions.Settle(ctx, app)
		}
	}
	switch {
	case rack.IsCode(err, rack.ENOTFOUND):
		// The app was deleted before its stack's last events arrived.
		log.InfoContext(ctx, "ignored: no such app", "app", app)
		return nil
	case err != nil:
		return fmt.Errorf("stack %s: %w", stack, err)
	}
	return nil
}

// appName is the app whose stack is named stack, if the stack is one of
// this rack's app stacks (names.AppOfStack), and the app's name is valid.
func (h *Handler) appName(stack string) (string, bool) {
	app, ok := names.AppOfStack(h.rack, stack)
	if !ok || rack.ValidateAppName(app) != nil {
		return "", false
	}
	return app, true
}
