package rack

import "time"

// ProcessStatus is an ECS task's state as Convox shows it.
type ProcessStatus string

const (
	ProcessPending ProcessStatus = "pending"
	ProcessRunning ProcessStatus = "running"
	ProcessStopped ProcessStatus = "stopped"
)

// Process is one running copy of a service or a one-off command.
type Process struct {
	ID       string
	App      string
	Name     string // the service, or "run" for a one-off
	Release  string
	Status   ProcessStatus
	Command  string
	Image    string
	Host     string
	Instance string
	CPU      float64
	Memory   float64
	Ports    []string
	Started  time.Time
	// ExitCode is its container's exit code, once it has stopped and ECS
	// knows it.
	ExitCode *int
}
