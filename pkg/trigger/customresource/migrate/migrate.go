// Package migrate runs the rack's data migrations forward: each one once,
// in order, recorded in the store as the setting "migration/<id>" when it
// has run. The rack stack's Custom::RackMigration resource runs them on
// every new rack version.
//
// A migration must be idempotent: two runs at once (a replayed request, an
// overlapping update) can both run it, though only one records it, and a
// run that fails between the migration and its record runs it again next
// time.
package migrate

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"

	"github.com/rackhq/rack/pkg/rack"
)

// Migration is one change to the rack's data.
type Migration struct {
	// ID names the migration for ever: "2026-11-25-app-env-sealed".
	ID  string
	Run func(ctx context.Context, store rack.Store) error
}

// All are the rack's migrations, oldest first. Append only: never reorder,
// rename or remove one that has shipped.
var All = []Migration{}

// SettingPrefix starts the name of the setting that records a migration.
const SettingPrefix = "migration/"

// Record is the value of a migration's setting.
type Record struct {
	// Version is the rack version whose update ran it.
	Version string `json:"version"`
}

var validID = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,127}$`)

// Validate checks that the migrations have well-formed, distinct ids and a
// Run each.
func Validate(migrations []Migration) error {
	seen := map[string]bool{}
	for i, m := range migrations {
		switch {
		case !validID.MatchString(m.ID):
			return fmt.Errorf("migration %d: id %q must be lower-case letters, digits, '.', '_' and '-'", i, m.ID)
		case seen[m.ID]:
			return fmt.Errorf("migration %d: id %s is used twice", i, m.ID)
		case m.Run == nil:
			return fmt.Errorf("migration %s: no Run", m.ID)
		}
		seen[m.ID] = true
	}
	return nil
}

// Run runs, in order, each migration not yet recorded, and records it. It
// stops at the first that fails, since later ones may depend on it. It
// returns the ids of those it ran.
func Run(ctx context.Context, store rack.Store, migrations []Migration, version string, log *slog.Logger) ([]string, error) {
	if err := Validate(migrations); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	value, err := json.Marshal(Record{Version: version})
	if err != nil {
		return nil, fmt.Errorf("encode migration record: %w", err)
	}
	var ran []string
	for _, m := range migrations {
		name := SettingPrefix + m.ID
		_, err := store.GetSetting(ctx, name)
		switch {
		case err == nil:
			continue
		case !rack.IsCode(err, rack.ENOTFOUND):
			return ran, fmt.Errorf("migration %s: read its record: %w", m.ID, err)
		}
		if err := ctx.Err(); err != nil {
			return ran, fmt.Errorf("migration %s: %w", m.ID, err)
		}
		if err := m.Run(ctx, store); err != nil {
			return ran, fmt.Errorf("migration %s: %w", m.ID, err)
		}
		ran = append(ran, m.ID)
		// Version 0: create only, so a concurrent run that got here first
		// keeps its record and this one's is refused.
		_, err = store.PutSetting(ctx, rack.Setting{Name: name, Value: value})
		switch {
		case rack.IsCode(err, rack.ECONFLICT):
			log.InfoContext(ctx, "migration recorded by another run", "migration", m.ID)
		case err != nil:
			return ran, fmt.Errorf("migration %s ran, but recording it failed: %w", m.ID, err)
		default:
			log.InfoContext(ctx, "migration ran", "migration", m.ID, "version", version)
		}
	}
	return ran, nil
}
