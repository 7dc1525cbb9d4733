package events

// Wire values of the instance events the rack consumes: Auto Scaling
// lifecycle actions of the rack's group, documented at
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html
// (shape: aws-lambda-go's events.AutoScalingEvent), and state changes of
// the container instances of the rack's cluster, documented at
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_container_instance_events.html
// (shape: aws-lambda-go's events.ECSContainerInstanceEvent).
const (
	AutoScalingEventSource          = "aws.autoscaling"
	LaunchLifecycleActionDetailType = "EC2 Instance-launch Lifecycle Action"
	TerminateLifecycleActionType    = "EC2 Instance-terminate Lifecycle Action"

	ECSEventSource                     = "aws.ecs"
	ContainerInstanceStateChangeDetail = "ECS Container Instance State Change"
)

// Rack event actions about instances, and the status of one under way.
const (
	ActionInstanceLaunch    = "instance:launch"
	ActionInstanceTerminate = "instance:terminate"
	ActionInstanceUnhealthy = "instance:unhealthy"
	StatusStarted           = "started"
)

// LifecycleActionDetail is the detail of an Auto Scaling lifecycle action
// event: an instance of the group is launching or terminating, held by a
// lifecycle hook until the action is completed or times out.
type LifecycleActionDetail struct {
	LifecycleActionToken string `json:"LifecycleActionToken"`
	AutoScalingGroupName string `json:"AutoScalingGroupName"`
	LifecycleHookName    string `json:"LifecycleHookName"`
	EC2InstanceID        string `json:"EC2InstanceId"`
	LifecycleTransition  string `json:"LifecycleTransition"`
	NotificationMetadata string `json:"NotificationMetadata,omitempty"`
	Origin               string `json:"Origin,omitempty"`
	Destination          string `json:"Destination,omitempty"`
}

// EC2 instance state changes, documented at
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instance-state-changes.html
// They carry no tags: whose instance it is must be asked of EC2.
const (
	EC2EventSource           = "aws.ec2"
	EC2StateChangeDetailType = "EC2 Instance State-change Notification"
	EC2StateRunning          = "running"
	EC2StateTerminated       = "terminated"
)

// EC2StateChangeDetail is the detail of an EC2 instance state change.
type EC2StateChangeDetail struct {
	InstanceID string `json:"instance-id"`
	State      string `json:"state"`
}
