package rack

import "time"

// InstanceStatus is an EC2 instance's state within the rack's cluster.
type InstanceStatus string

const (
	InstancePending    InstanceStatus = "pending"
	InstanceActive     InstanceStatus = "active"
	InstanceDraining   InstanceStatus = "draining"
	InstanceTerminated InstanceStatus = "terminated"
)

// Instance is an EC2 instance of the rack's ECS cluster.
type Instance struct {
	ID        string
	Status    InstanceStatus
	Agent     bool // whether the ECS agent is connected
	Processes int
	CPU       float64 // fraction of registered CPU in use
	Memory    float64 // fraction of registered memory in use
	PrivateIP string
	PublicIP  string
	Started   time.Time
}
