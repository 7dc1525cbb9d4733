package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

const settingSortKey = "SETTING"

func settingPartition(name string) string { return "SETTING#" + name }

type settingRecord struct {
	Name    string `dynamodbav:"name"`
	Value   []byte `dynamodbav:"value,omitempty"`
	Version int64  `dynamodbav:"version"`
	Updated string `dynamodbav:"updated"`
}

// GetSetting reads a rack setting.
func (s *Store) GetSetting(ctx context.Context, name string) (rack.Setting, error) {
	item, err := s.get(ctx, key(settingPartition(name), settingSortKey))
	if err != nil {
		return rack.Setting{}, fmt.Errorf("get setting %s: %w", name, err)
	}
	if item == nil {
		return rack.Setting{}, rack.Errorf(rack.ENOTFOUND, "setting %s not found", name)
	}
	r, err := unmarshal[settingRecord](item)
	if err != nil {
		return rack.Setting{}, fmt.Errorf("get setting %s: %w", name, err)
	}
	st := rack.Setting{Name: r.Name, Value: r.Value, Version: r.Version}
	err = parseTimes(map[*time.Time]string{&st.Updated: r.Updated})
	return st, err
}

// PutSetting creates a setting (Version 0) or replaces the one at Version.
func (s *Store) PutSetting(ctx context.Context, st rack.Setting) (rack.Setting, error) {
	if st.Name == "" {
		return rack.Setting{}, rack.Errorf(rack.EINVALID, "setting name is required")
	}
	cond := absent()
	if st.Version != 0 {
		cond = exists().And(expression.Name("version").Equal(expression.Value(st.Version)))
	}
	st.Version++
	st.Updated = s.now()
	k := key(settingPartition(st.Name), settingSortKey)
	item, err := marshal(settingRecord{Name: st.Name, Value: st.Value, Version: st.Version, Updated: formatTime(st.Updated)},
		map[string]string{names.TablePartitionKey: settingPartition(st.Name), names.TableSortKey: settingSortKey})
	if err != nil {
		return rack.Setting{}, fmt.Errorf("put setting %s: %w", st.Name, err)
	}
	ok, err := s.put(ctx, item, cond)
	if err != nil {
		return rack.Setting{}, fmt.Errorf("put setting %s: %w", st.Name, err)
	}
	if !ok {
		if st.Version == 1 {
			return rack.Setting{}, rack.Errorf(rack.ECONFLICT, "setting %s already exists", st.Name)
		}
		return rack.Setting{}, s.staleError(ctx, k, "setting "+st.Name)
	}
	return st, nil
}
