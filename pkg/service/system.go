package service

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

// System describes the rack and changes it: its own CloudFormation stack,
// whose name is the rack's, holds its parameters and version.
type System struct {
	sys   rack.System
	stack RackStack
}

// NewSystem returns a rack described by its configuration alone, with no
// stack to read or change: it reports running while the API answers, and
// refuses updates.
func NewSystem(sys rack.System) *System {
	return &System{sys: sys}
}

// NewStackSystem returns a rack described by its configuration and by its
// stack, which it reads on every call and changes through stack.
func NewStackSystem(sys rack.System, stack RackStack) *System {
	return &System{sys: sys, stack: stack}
}

// System describes the rack. With a stack, its status, version and
// parameters are the stack's; a rack whose stack does not exist (a local
// API) is described from its configuration, and StatusReason says why.
func (s *System) System(ctx context.Context) (rack.System, error) {
	sys := s.sys
	sys.Status = rack.SystemRunning
	if sys.Provider == "" {
		sys.Provider = "aws"
	}
	if s.stack == nil {
		return sys, nil
	}
	st, err := s.stack.RackStack(ctx)
	switch {
	case rack.IsCode(err, rack.ENOTFOUND):
		sys.StatusReason = rack.ErrorMessage(err)
		return sys, nil
	case err != nil:
		return rack.System{}, fmt.Errorf("describe rack %s: %w", sys.Name, err)
	}
	sys.Status = SystemStatus(st.Status)
	sys.StackStatus, sys.StatusReason = st.Status, st.Reason
	sys.Parameters, sys.Outputs = st.Parameters, st.Outputs
	if v := st.Parameters[names.ParamVersion]; v != "" {
		sys.Version = v
	}
	sys.Type = st.Parameters[names.ParamInstanceType]
	sys.Count, _ = strconv.Atoi(st.Parameters[names.ParamInstanceCount])
	return sys, nil
}

// systemStatuses says what each stack status means for the rack, in
// Convox's words. A change that rolled back to where it was
// (UPDATE_ROLLBACK_COMPLETE) leaves the rack running as before; a create
// that rolled back (ROLLBACK_COMPLETE) leaves nothing to run. The raw status
// goes beside it, so a client can tell the two kinds of running apart.
var systemStatuses = map[events.StackStatus]rack.SystemStatus{
	events.StackStatusReviewInProgress: rack.SystemCreating,
	events.StackStatusCreateInProgress: rack.SystemCreating,
	events.StackStatusCreateFailed:     rack.SystemFailed,
	events.StackStatusCreateComplete:   rack.SystemRunning,

	events.StackStatusRollbackInProgress: rack.SystemRollback,
	events.StackStatusRollbackFailed:     rack.SystemFailed,
	events.StackStatusRollbackComplete:   rack.SystemFailed,

	events.StackStatusUpdateInProgress:                        rack.SystemUpdating,
	events.StackStatusUpdateCompleteCleanupInProgress:         rack.SystemUpdating,
	events.StackStatusUpdateComplete:                          rack.SystemRunning,
	events.StackStatusUpdateFailed:                            rack.SystemFailed,
	events.StackStatusUpdateRollbackInProgress:                rack.SystemRollback,
	events.StackStatusUpdateRollbackFailed:                    rack.SystemFailed,
	events.StackStatusUpdateRollbackCompleteCleanupInProgress: rack.SystemRollback,
	events.StackStatusUpdateRollbackComplete:                  rack.SystemRunning,

	events.StackStatusImportInProgress:         rack.SystemUpdating,
	events.StackStatusImportComplete:           rack.SystemRunning,
	events.StackStatusImportRollbackInProgress: rack.SystemRollback,
	events.StackStatusImportRollbackFailed:     rack.SystemFailed,
	events.StackStatusImportRollbackComplete:   rack.SystemRunning,

	events.StackStatusDeleteInProgress: rack.SystemDeleting,
	events.StackStatusDeleteFailed:     rack.SystemFailed,
}

// SystemStatus tells the rack status a stack status means; unknown for
// one CloudFormation added since.
func SystemStatus(stackStatus string) rack.SystemStatus {
	if s, ok := systemStatuses[events.StackStatus(stackStatus)]; ok {
		return s
	}
	return rack.SystemUnknown
}

// updatable are the stack statuses a change may start from: a finished
// create, update or rollback of an update, and a failed update of a stack
// whose rollback is off.
var updatable = map[events.StackStatus]bool{
	events.StackStatusCreateComplete:         true,
	events.StackStatusUpdateComplete:         true,
	events.StackStatusUpdateRollbackComplete: true,
	events.StackStatusImportComplete:         true,
	events.StackStatusImportRollbackComplete: true,
	events.StackStatusUpdateFailed:           true,
}

// SystemUpdateOptions is a change of the rack: new values of some of its
// stack's parameters, a version to move to, or both.
type SystemUpdateOptions struct {
	Parameters map[string]string
	Version    string
}

// architectures are those the rack's functions are built for.
var architectures = []string{"arm64", "x86_64"}

// reserved are the parameters only a version sets: they say where the
// version's code is.
var reserved = []string{names.ParamVersion, names.ParamCodeBucket, names.ParamCodePrefix}

// UpdateSystem changes the rack's stack and returns CloudFormation's
// preview of what changes, once the change has started; it does not wait
// for the stack. Parameters keep the template; a version (or another
// Architecture, whose code differs) takes that version's template and code
// from where the installer uploaded them, ENOTFOUND when they are not
// there. A parameter the template does not have is EINVALID; a stack that
// is changing already is ECONFLICT. Nothing to change (the version running
// already, values as they are) returns no changes and starts nothing.
func (s *System) UpdateSystem(ctx context.Context, o SystemUpdateOptions) ([]rack.StackChange, error) {
	if err := validateUpdate(o); err != nil {
		return nil, err
	}
	if s.stack == nil {
		return nil, rack.Errorf(rack.ENOTFOUND, "rack %s: this API has no stack to update", s.sys.Name)
	}
	st, err := s.stack.RackStack(ctx)
	if err != nil {
		return nil, err
	}
	current := st.Parameters[names.ParamVersion]
	version := cmp.Or(o.Version, current)
	arch := st.Parameters[names.ParamArchitecture]
	if a, ok := o.Parameters[names.ParamArchitecture]; ok {
		arch = a
	}
	// Code is per version and architecture: either changing takes the
	// version's template and code.
	newCode := version != current || arch != st.Parameters[names.ParamArchitecture]
	if !newCode && len(o.Parameters) == 0 {
		return []rack.StackChange{}, nil
	}
	if status := events.StackStatus(st.Status); !updatable[status] {
		return nil, notUpdatable(s.sys.Name, st)
	}

	declared, subject := st.Parameters, "rack "+s.sys.Name
	var tmpl rack.RackTemplate
	if newCode {
		if arch == "" {
			return nil, fmt.Errorf("rack %s: its stack has no %s parameter", s.sys.Name, names.ParamArchitecture)
		}
		if tmpl, err = s.stack.RackTemplate(ctx, st.ID, version, arch); err != nil {
			return nil, err
		}
		declared, subject = tmpl.Parameters, "version "+version+" of the rack"
	}
	var unknown []string
	for k := range o.Parameters {
		if _, ok := declared[k]; !ok {
			unknown = append(unknown, fmt.Sprintf("%q", k))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, rack.Errorf(rack.EINVALID, "%s has no parameter %s", subject, strings.Join(unknown, ", "))
	}

	u := rack.RackStackUpdate{StackID: st.ID, Revision: st.Revision, Values: maps.Clone(o.Parameters)}
	if u.Values == nil {
		u.Values = map[string]string{}
	}
	if newCode {
		bucket, prefix := tmpl.Parameters[names.ParamCodeBucket], tmpl.Parameters[names.ParamCodePrefix]
		if bucket == "" || prefix == "" {
			return nil, rack.Errorf(rack.ENOTFOUND, "the template of version %s at %s does not say where its code is (no defaults for %s and %s): upload the version again with the installer, from a source tree of that version", version, tmpl.URL, names.ParamCodeBucket, names.ParamCodePrefix)
		}
		u.TemplateURL = tmpl.URL
		u.Values[names.ParamVersion], u.Values[names.ParamCodeBucket], u.Values[names.ParamCodePrefix] = version, bucket, prefix
		if _, ok := declared[names.ParamArchitecture]; ok {
			u.Values[names.ParamArchitecture] = arch
		}
	}
	for _, p := range slices.Sorted(maps.Keys(declared)) {
		if _, set := u.Values[p]; set {
			continue
		}
		// A parameter new in the template takes its default.
		if _, ok := st.Parameters[p]; ok {
			u.Keep = append(u.Keep, p)
		}
	}
	changes, err := s.stack.ChangeRackStack(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("update rack %s: %w", s.sys.Name, err)
	}
	if changes == nil {
		changes = []rack.StackChange{}
	}
	return changes, nil
}

// validateUpdate refuses what no stack could take: no change, a malformed
// version or architecture, and the parameters the rack sets itself.
func validateUpdate(o SystemUpdateOptions) error {
	if len(o.Parameters) == 0 && o.Version == "" {
		return rack.Errorf(rack.EINVALID, "nothing to update: give parameters, a version or both")
	}
	if o.Version != "" {
		if err := rack.ValidateVersion(o.Version); err != nil {
			return err
		}
	}
	var manual []string
	for _, p := range reserved {
		if _, ok := o.Parameters[p]; ok {
			manual = append(manual, p)
		}
	}
	if len(manual) > 0 {
		return rack.Errorf(rack.EINVALID, "%s: set by the rack with the version (convox rack update VERSION), not as parameters", strings.Join(manual, ", "))
	}
	if _, ok := o.Parameters[names.ParamStackRole]; ok {
		// The API may pass only the role the stack names: letting the API
		// name another would let the rack password choose its own powers.
		return rack.Errorf(rack.EINVALID, "%s: the role the rack's updates run with is set with AWS credentials (aws cloudformation update-stack), not through the rack's API", names.ParamStackRole)
	}
	if a, ok := o.Parameters[names.ParamArchitecture]; ok && !slices.Contains(architectures, a) {
		return rack.Errorf(rack.EINVALID, "%s %q: one of %s", names.ParamArchitecture, a, strings.Join(architectures, ", "))
	}
	return nil
}

// notUpdatable is the conflict of a change asked of a stack that cannot
// take one now.
func notUpdatable(name string, st rack.RackStack) error {
	status := SystemStatus(st.Status)
	if strings.HasSuffix(st.Status, "_IN_PROGRESS") {
		return rack.Errorf(rack.ECONFLICT, "rack %s is %s (%s): wait until it is done, then try again", name, status, st.Status)
	}
	msg := fmt.Sprintf("rack %s is %s (%s) and its stack cannot be updated", name, status, st.Status)
	if st.Reason != "" {
		msg += ": " + st.Reason
	}
	return rack.Errorf(rack.ECONFLICT, "%s", msg)
}
