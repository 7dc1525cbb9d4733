// Package instances turns what happens to the rack's instances into
// rack events, so webhooks hear of them: the handler behind the rules that
// send the Auto Scaling lifecycle actions of the rack's group, EC2 instance
// state changes, and the state changes of its cluster's container
// instances.
//
// It only announces. Draining an instance before it terminates is ECS's
// own (managed draining on the capacity provider), and so is the lifecycle
// hook that holds the instance meanwhile: completing that action here
// would cut the draining short.
package instances

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	awsevents "github.com/aws/aws-lambda-go/events"

	"github.com/rackhq/rack/events"
)

// Publisher announces rack events.
type Publisher interface {
	Publish(ctx context.Context, ev events.RackEvent) error
}

// Members tells whether an instance belongs to the rack's group.
type Members interface {
	Has(ctx context.Context, instanceID string) (bool, error)
}

// Handler announces the instance events of one rack.
type Handler struct {
	rack    string
	group   string // the Auto Scaling group's name
	cluster string // the ECS cluster's name
	members Members
	events  Publisher
	log     *slog.Logger
}

// New returns a handler for the instances of rack's group and cluster.
func New(rack, group, cluster string, members Members, publisher Publisher, log *slog.Logger) *Handler {
	return &Handler{rack: rack, group: group, cluster: cluster, members: members, events: publisher, log: log}
}

// Handle announces one event; events of other groups or clusters, and
// kinds it does not know, are ignored. An unreadable event is an error.
func (h *Handler) Handle(ctx context.Context, ev awsevents.CloudWatchEvent) error {
	switch {
	case ev.Source == events.AutoScalingEventSource &&
		(ev.DetailType == events.LaunchLifecycleActionDetailType || ev.DetailType == events.TerminateLifecycleActionType):
		return h.lifecycle(ctx, ev)
	case ev.Source == events.ECSEventSource && ev.DetailType == events.ContainerInstanceStateChangeDetail:
		return h.containerInstance(ctx, ev)
	case ev.Source == events.EC2EventSource && ev.DetailType == events.EC2StateChangeDetailType:
		return h.instanceState(ctx, ev)
	}
	h.log.DebugContext(ctx, "ignored: not an instance event", "source", ev.Source, "detail-type", ev.DetailType)
	return nil
}

func (h *Handler) lifecycle(ctx context.Context, ev awsevents.CloudWatchEvent) error {
	var d events.LifecycleActionDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil || d.EC2InstanceID == "" {
		return fmt.Errorf("lifecycle action %s: unreadable detail: %v", ev.ID, err)
	}
	if d.AutoScalingGroupName != h.group {
		h.log.DebugContext(ctx, "ignored: another group", "group", d.AutoScalingGroupName)
		return nil
	}
	action := events.ActionInstanceLaunch
	if ev.DetailType == events.TerminateLifecycleActionType {
		action = events.ActionInstanceTerminate
	}
	return h.publish(ctx, ev, action, events.StatusStarted, map[string]string{"instance": d.EC2InstanceID})
}

func (h *Handler) containerInstance(ctx context.Context, ev awsevents.CloudWatchEvent) error {
	var d awsevents.ECSContainerInstanceEventDetailType
	if err := json.Unmarshal(ev.Detail, &d); err != nil || d.EC2InstanceID == "" {
		return fmt.Errorf("container instance change %s: unreadable detail: %v", ev.ID, err)
	}
	if !strings.HasSuffix(d.ClusterARN, ":cluster/"+h.cluster) {
		h.log.DebugContext(ctx, "ignored: another cluster", "cluster", d.ClusterARN)
		return nil
	}
	// An active instance whose agent is gone runs nothing new: the one
	// change here worth a webhook. Draining and deregistering follow a
	// terminate lifecycle action, announced already.
	if d.AgentConnected || d.Status != "ACTIVE" {
		return nil
	}
	return h.publish(ctx, ev, events.ActionInstanceUnhealthy, events.StatusError,
		map[string]string{"instance": d.EC2InstanceID, "reason": "ECS agent disconnected"})
}

// instanceState announces that an instance of the group is running or
// terminated: the end of what a lifecycle action started.
func (h *Handler) instanceState(ctx context.Context, ev awsevents.CloudWatchEvent) error {
	var d events.EC2StateChangeDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil || d.InstanceID == "" {
		return fmt.Errorf("instance state change %s: unreadable detail: %v", ev.ID, err)
	}
	action := map[string]string{events.EC2StateRunning: events.ActionInstanceLaunch, events.EC2StateTerminated: events.ActionInstanceTerminate}[d.State]
	if action == "" {
		return nil
	}
	// EC2's events name no group: the rule sends every instance's.
	ours, err := h.members.Has(ctx, d.InstanceID)
	if err != nil {
		return fmt.Errorf("instance state change %s: %w", ev.ID, err)
	}
	if !ours {
		h.log.DebugContext(ctx, "ignored: not an instance of the rack", "instance", d.InstanceID)
		return nil
	}
	return h.publish(ctx, ev, action, events.StatusSuccess, map[string]string{"instance": d.InstanceID})
}

func (h *Handler) publish(ctx context.Context, ev awsevents.CloudWatchEvent, action, status string, data map[string]string) error {
	err := h.events.Publish(ctx, events.RackEvent{Action: action, Status: status, Rack: h.rack, Data: data, Timestamp: ev.Time})
	if err != nil {
		return fmt.Errorf("%s of %s: %w", action, data["instance"], err)
	}
	h.log.InfoContext(ctx, "instance event", "action", action, "instance", data["instance"])
	return nil
}
