package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

type leaseRecord struct {
	App     string `dynamodbav:"app"`
	Name    string `dynamodbav:"name"`
	Holder  string `dynamodbav:"holder"`
	Expires string `dynamodbav:"expires"`
}

// ClaimLease gives holder an app's named lease for ttl, if no one else holds
// it live. The condition compares expiry strings, which order like times.
func (s *Store) ClaimLease(ctx context.Context, app, name, holder string, ttl time.Duration) (rack.Lease, error) {
	if app == "" || name == "" || holder == "" {
		return rack.Lease{}, rack.Errorf(rack.EINVALID, "a lease needs an app, a name and a holder")
	}
	if ttl <= 0 {
		return rack.Lease{}, rack.Errorf(rack.EINVALID, "lease %s of app %s: ttl must be positive", name, app)
	}
	now := s.now()
	lease := rack.Lease{App: app, Name: name, Holder: holder, Expires: now.Add(ttl)}
	item, err := marshal(leaseRecord{App: app, Name: name, Holder: holder, Expires: formatTime(lease.Expires)},
		map[string]string{names.TablePartitionKey: appPartition(app), names.TableSortKey: leaseKeyPrefix + name})
	if err != nil {
		return rack.Lease{}, fmt.Errorf("claim lease %s of app %s: %w", name, app, err)
	}
	item[names.TTLAttribute] = ttlValue(lease.Expires)
	ok, err := s.put(ctx, item, free(now, holder))
	if err != nil {
		return rack.Lease{}, fmt.Errorf("claim lease %s of app %s: %w", name, app, err)
	}
	if !ok {
		return rack.Lease{}, rack.Errorf(rack.ECONFLICT, "%s of app %s is held by someone else", name, app)
	}
	return lease, nil
}

// ReleaseLease frees holder's lease.
func (s *Store) ReleaseLease(ctx context.Context, app, name, holder string) error {
	ok, err := s.remove(ctx, key(appPartition(app), leaseKeyPrefix+name), free(s.now(), holder))
	if err != nil {
		return fmt.Errorf("release lease %s of app %s: %w", name, app, err)
	}
	if !ok {
		return rack.Errorf(rack.ECONFLICT, "%s of app %s is held by someone else", name, app)
	}
	return nil
}

// free is the condition that a lease is absent, expired, or holder's.
func free(now time.Time, holder string) expression.ConditionBuilder {
	return absent().
		Or(expression.Name("expires").LessThanEqual(expression.Value(formatTime(now)))).
		Or(expression.Name("holder").Equal(expression.Value(holder)))
}
