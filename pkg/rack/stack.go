package rack

import "time"

// StackUpdateState tells where one update of an app's stack stands, as
// its events tell it.
type StackUpdateState string

const (
	// UpdateNotStarted: no event of the stack carries the update's token.
	UpdateNotStarted StackUpdateState = "not-started"
	UpdateInProgress StackUpdateState = "in-progress"
	UpdateComplete   StackUpdateState = "complete"
	// UpdateRolledBack: the update failed and the stack is back as it was.
	UpdateRolledBack StackUpdateState = "rolled-back"
	// UpdateRollbackFailed: the update failed, and so did putting the
	// stack back; it takes a person to continue the rollback.
	UpdateRollbackFailed StackUpdateState = "rollback-failed"
)

// StackUpdate is where one update of an app's stack stands and, once it
// failed, why: the first resource that failed and what it said.
type StackUpdate struct {
	State  StackUpdateState
	Reason string
}

// StackEvent is one event of a stack operation: a resource (or the stack
// itself) reaching a status.
type StackEvent struct {
	Time     time.Time
	Resource string // the logical id; the stack's name for the stack itself
	Type     string // AWS::ECS::Service, ...
	Status   string // UPDATE_IN_PROGRESS, ...
	Reason   string
}

// Deployment is how the newest deployment of one of an app's services
// stands, as ECS tells it.
type Deployment struct {
	Service                           string // the manifest's name
	State                             string // ECS's rollout state: IN_PROGRESS, COMPLETED or FAILED
	Reason                            string
	Desired, Running, Pending, Failed int
	Updated                           time.Time
}

// Service is one of an app's services as its active release runs it, and
// as `convox scale` sized it.
type Service struct {
	Name        string
	Domain      string // the first host name it answers on; "" with no port
	Ports       []ServicePort
	Count       int // desired tasks
	CPU, Memory int // CPU units, MiB
}

// ServicePort is a service's port behind the rack's router: the
// balancer's and the container's.
type ServicePort struct {
	Balancer, Container int
}
