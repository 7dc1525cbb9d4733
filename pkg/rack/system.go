package rack

import (
	"regexp"
	"sync"
)

// SystemStatus is the rack stack's state, in Convox's words.
type SystemStatus string

const (
	SystemCreating SystemStatus = "creating"
	SystemRunning  SystemStatus = "running"
	SystemUpdating SystemStatus = "updating"
	SystemRollback SystemStatus = "rollback" // a change is being undone
	SystemDeleting SystemStatus = "deleting"
	SystemFailed   SystemStatus = "failed"
	SystemUnknown  SystemStatus = "unknown" // a stack status CloudFormation added since
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
	// StackStatus is CloudFormation's own word for the rack stack's state
	// (UPDATE_ROLLBACK_COMPLETE, ...), and StatusReason its reason, or why
	// the stack could not be read; Status is what they mean.
	StackStatus  string
	StatusReason string
}

// RackStack is the rack's own CloudFormation stack as it stands.
type RackStack struct {
	ID     string // the stack's ARN
	Status string // CloudFormation's stack status
	Reason string
	// Revision changes whenever the stack does (its last update time).
	Revision   string
	Parameters map[string]string // NoEcho values as CloudFormation masks them
	Outputs    map[string]string
}

// RackTemplate is the rack template of one version, where the installer
// uploaded it.
type RackTemplate struct {
	URL string
	// Parameters are the template's parameters and their defaults ("" for
	// none); the installer writes where the version's code is into the
	// defaults of CodeBucket and CodePrefix.
	Parameters map[string]string
}

// RackStackUpdate is one change of the rack stack: new values of some
// parameters, the others kept, and a new template or the same one.
type RackStackUpdate struct {
	StackID  string
	Revision string // of the stack the change was decided on
	// TemplateURL is the new template; "" keeps the stack's.
	TemplateURL string
	Values      map[string]string
	Keep        []string // parameters that keep their values
}

// StackChange is one resource a stack change modifies, adds or removes, as
// CloudFormation previews it.
type StackChange struct {
	Action      string // Add, Modify, Remove, Import, Dynamic
	LogicalID   string
	Type        string // AWS::Lambda::Function, ...
	Replacement string // True, False, Conditional; "" when not a Modify
}

// ValidateRackName checks a rack name: it names stacks, buckets and an SSM
// path, so it follows the app name rules.
func ValidateRackName(name string) error {
	if err := ValidateAppName(name); err != nil {
		return Errorf(EINVALID, "rack name %q: lowercase letters, digits and hyphens, starting with a letter, at most %d characters", name, MaxAppNameLength)
	}
	return nil
}

// MaxVersionLength bounds a rack version, which names a folder of the
// artifacts bucket.
const MaxVersionLength = 64

var versionPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`) })

// ValidateVersion checks a rack version: letters, digits, dots,
// underscores and hyphens, starting with a letter or digit, at most 64
// characters ("1.2.3", "20261130120000", "8a15598-dirty"), so that it
// names an S3 key and a URL path as it is.
func ValidateVersion(v string) error {
	if len(v) > MaxVersionLength || !versionPattern().MatchString(v) {
		return Errorf(EINVALID, "version %q: letters, digits, dots, underscores and hyphens, starting with a letter or digit, at most %d characters", v, MaxVersionLength)
	}
	return nil
}
