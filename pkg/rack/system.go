package rack

// SystemStatus is the rack stack's state.
type SystemStatus string

const (
	SystemRunning  SystemStatus = "running"
	SystemUpdating SystemStatus = "updating"
	SystemFailed   SystemStatus = "failed"
)

// System describes the rack itself.
type System struct {
	Name       string
	Provider   string // always "aws"
	Region     string
	Status     SystemStatus
	Version    string
	Type       string // instance type
	Count      int    // instance count
	Domain     string // the API's host name
	Outputs    map[string]string
	Parameters map[string]string
}
