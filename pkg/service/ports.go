// Package service holds the rack's use cases: one small type per noun
// (Apps, Builds, Releases, System) over a shared Core, each taking only
// the ports (small interfaces, below and beside each noun) it uses. The
// HTTP API and the event triggers call them through interfaces of their
// own; adapters in pkg/aws satisfy the ports; pkg/wire puts them
// together, per function.
package service

import (
	"context"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/rack"
)

// Stacks creates and deletes apps' CloudFormation stacks.
type Stacks interface {
	// CreateAppStack starts creating app's stack. A stack the rack made
	// already is not an error: the call may be a retry. A stack of that
	// name the rack did not make is ECONFLICT.
	CreateAppStack(ctx context.Context, app string) error
	// AppStackStatus tells the app status the stack's state means, and why
	// when it failed. A stack that does not exist, or is fully deleted,
	// fails with ENOTFOUND; one the rack did not make with ECONFLICT.
	AppStackStatus(ctx context.Context, app string) (rack.AppStatus, string, error)
	// DeleteAppStack starts deleting app's stack. A stack that does not
	// exist is not an error; one the rack did not make is ECONFLICT.
	DeleteAppStack(ctx context.Context, app string) error
}

// Sealer encrypts and decrypts secrets, such as an app's environment, so
// that the store only ever holds ciphertext.
type Sealer interface {
	Seal(ctx context.Context, plaintext []byte) ([]byte, error)
	Open(ctx context.Context, sealed []byte) ([]byte, error)
}

// Publisher announces the rack's state changes (to its event bus, and from
// there to webhooks).
type Publisher interface {
	Publish(ctx context.Context, ev events.RackEvent) error
}
