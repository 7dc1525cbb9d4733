package customresource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/cfn"
)

// Resource handles the requests of one custom resource type. Handlers get
// a context that ends before the function's own deadline, and must expect
// every request more than once: a replay the answer memory does not catch
// (its table unreachable, say) runs them again.
type Resource struct {
	// Create makes the resource and returns its physical id. An error with
	// a physical id says the resource exists despite the error, so that
	// CloudFormation's Delete can remove it; without one, nothing was made.
	Create func(ctx context.Context, req Request) (Result, error)
	// Update changes the resource. Another physical id than the request's
	// replaces it: CloudFormation then deletes the old one. A Result with
	// no physical id keeps the old one. Nil: updates change nothing.
	Update func(ctx context.Context, req Request) (Result, error)
	// Delete removes the resource. Removing what is already gone succeeds.
	// Nil: deletes remove nothing.
	Delete func(ctx context.Context, req Request) error
}

// Result is what a handler made.
type Result struct {
	PhysicalID string
	// Data are the attributes Fn::GetAtt reads.
	Data map[string]any
	// Secret marks Data as secret: the answer carries NoEcho, and Data is
	// never logged and is sealed before it is remembered.
	Secret bool
}

// Resources are the handlers by resource type ("Custom::EmptyBucket").
type Resources map[string]Resource

// Dispatch runs req's handler and returns its result, with the physical id
// CloudFormation must get: the request's own for an Update or Delete that
// keeps it, and for a failed Create that made nothing a FailedPhysicalID.
// An unknown resource type fails.
func (rs Resources) Dispatch(ctx context.Context, req Request) (Result, error) {
	if req.RequestType == cfn.RequestDelete && NeverCreated(req.PhysicalResourceID) {
		// The Create failed or never ran: there is nothing to delete.
		return Result{PhysicalID: fallbackPhysicalID(req.Event)}, nil
	}
	res, err := rs.dispatch(ctx, req)
	switch {
	case req.RequestType == cfn.RequestCreate && res.PhysicalID == "":
		if err == nil {
			err = fmt.Errorf("%s handler returned no physical id", req.ResourceType)
		}
		res.PhysicalID = FailedPhysicalID(req.RequestID)
	case req.RequestType != cfn.RequestCreate && (res.PhysicalID == "" || err != nil):
		// A failed Update keeps the resource CloudFormation knows.
		res.PhysicalID = req.PhysicalResourceID
	}
	if err == nil && len(res.PhysicalID) > MaxPhysicalIDLength {
		err = fmt.Errorf("physical id is %d bytes; CloudFormation takes at most %d", len(res.PhysicalID), MaxPhysicalIDLength)
		if req.RequestType == cfn.RequestCreate {
			res.PhysicalID = FailedPhysicalID(req.RequestID)
		} else {
			res.PhysicalID = req.PhysicalResourceID
		}
	}
	return res, err
}

func (rs Resources) dispatch(ctx context.Context, req Request) (Result, error) {
	r, ok := rs[req.ResourceType]
	if !ok {
		return Result{}, fmt.Errorf("unknown resource type %s: this function handles %s", quote(req.ResourceType), strings.Join(rs.types(), ", "))
	}
	switch req.RequestType {
	case cfn.RequestCreate:
		if r.Create == nil {
			return Result{}, fmt.Errorf("%s cannot be created", req.ResourceType)
		}
		return r.Create(ctx, req)
	case cfn.RequestUpdate:
		if r.Update == nil {
			return Result{PhysicalID: req.PhysicalResourceID}, nil
		}
		return r.Update(ctx, req)
	case cfn.RequestDelete:
		if r.Delete == nil {
			return Result{PhysicalID: req.PhysicalResourceID}, nil
		}
		return Result{PhysicalID: req.PhysicalResourceID}, r.Delete(ctx, req)
	}
	return Result{}, fmt.Errorf("unknown request type %s", quote(string(req.RequestType)))
}

// types lists the resource types handled, sorted.
func (rs Resources) types() []string {
	return slices.Sorted(maps.Keys(rs))
}

// failedPrefix starts the physical id of a resource whose Create failed
// before making anything. The colon keeps it apart from every name a
// handler uses as a physical id: S3 buckets, ECR repositories and SSM
// parameters cannot hold one.
const failedPrefix = "failed-create:"

var plainID = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// FailedPhysicalID is the physical id a failed Create answers with, from
// its request id: CloudFormation sends it back in the Delete of its
// rollback, which then knows that nothing was created.
func FailedPhysicalID(requestID string) string {
	if plainID.MatchString(requestID) {
		return failedPrefix + requestID
	}
	sum := sha256.Sum256([]byte(requestID))
	return failedPrefix + hex.EncodeToString(sum[:16])
}

// NeverCreated reports whether a Delete's physical id says that the Create
// never made the resource: a FailedPhysicalID, or none at all.
func NeverCreated(physicalID string) bool {
	return physicalID == "" || strings.HasPrefix(physicalID, failedPrefix)
}
