// Package service holds the rack's use cases: apps, releases, environment,
// builds and the system, over the small interfaces (ports) below. The HTTP
// API calls it; adapters in other packages satisfy its ports.
package service

import (
	"context"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/rack"
)

// Stacks creates and deletes apps' CloudFormation stacks.
type Stacks interface {
	// CreateAppStack starts creating app's stack. A stack that already
	// exists is not an error: the call may be a retry.
	CreateAppStack(ctx context.Context, app string) error
	// AppStackStatus tells the app status the stack's state means, and why
	// when it failed. A stack that does not exist, or is fully deleted,
	// fails with ENOTFOUND.
	AppStackStatus(ctx context.Context, app string) (rack.AppStatus, string, error)
	// DeleteAppStack starts deleting app's stack. A stack that does not
	// exist is not an error.
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

// Store is what the use cases keep.
type Store interface {
	rack.AppStore
	rack.BuildStore
	rack.ReleaseStore
}
