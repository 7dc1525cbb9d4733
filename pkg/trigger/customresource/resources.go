package customresource

import (
	"log/slog"

	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/trigger/customresource/migrate"
)

// Deps are the outside systems the rack's custom resources use.
type Deps struct {
	S3 S3API
	// Hashes keeps the rack password's hash.
	Hashes auth.HashStore
	// Hasher hashes new rack passwords (zero value: at auth.Cost).
	Hasher     auth.Hasher
	Store      rack.Store
	Migrations []migrate.Migration
	Log        *slog.Logger
}

// RackResources are the custom resources of the rack stack and the app
// stacks.
func RackResources(d Deps) Resources {
	return Resources{
		TypeEmptyBucket:   EmptyBucket(d.S3),
		TypeRackMigration: RackMigration(d.Store, d.Migrations, d.Log),
		TypeRackPassword:  RackPassword(Passwords{Hashes: d.Hashes, Hasher: d.Hasher}),
	}
}
