package customresource

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/trigger/customresource/migrate"
)

// TypeRackMigration runs the store's data migrations forward when it is
// created and whenever its Version changes; deleting it does nothing. Its
// physical id is "<stack>-<logical id>", the same for the stack's life.
//
// Properties: Version. Attributes: Version, and Ran, how many migrations
// this request ran.
const TypeRackMigration = "Custom::RackMigration"

// RackMigration is the Custom::RackMigration resource, running migrations
// against store.
func RackMigration(store rack.Store, migrations []migrate.Migration, log *slog.Logger) Resource {
	run := func(ctx context.Context, version string) (map[string]any, error) {
		ran, err := migrate.Run(ctx, store, migrations, version, log)
		if err != nil {
			return nil, err
		}
		return map[string]any{"Version": version, "Ran": strconv.Itoa(len(ran))}, nil
	}
	return Resource{
		Create: func(ctx context.Context, req Request) (Result, error) {
			version, err := req.Properties().String("Version")
			if err != nil {
				return Result{}, err
			}
			stack, err := events.StackName(req.StackID)
			if err != nil {
				return Result{}, err
			}
			data, err := run(ctx, version)
			if err != nil {
				return Result{}, err
			}
			return Result{PhysicalID: fmt.Sprintf("%s-%s", stack, req.LogicalResourceID), Data: data}, nil
		},
		Update: func(ctx context.Context, req Request) (Result, error) {
			version, err := req.Properties().String("Version")
			if err != nil {
				return Result{}, err
			}
			// Another property changed: nothing to run. A rollback does
			// change the Version back, and runs what is not yet recorded:
			// migrations only go forward.
			if old, _ := req.OldProperties().OptionalString("Version"); old == version {
				return Result{PhysicalID: req.PhysicalResourceID, Data: map[string]any{"Version": version, "Ran": "0"}}, nil
			}
			data, err := run(ctx, version)
			return Result{PhysicalID: req.PhysicalResourceID, Data: data}, err
		},
	}
}
