package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

const idempotencySortKey = "IDEMPOTENCY"

func idempotencyPartition(k string) string { return "IDEMPOTENCY#" + k }

type idempotencyRecord struct {
	Key     string `dynamodbav:"key"`
	Status  string `dynamodbav:"status"`
	Result  []byte `dynamodbav:"result,omitempty"`
	Created string `dynamodbav:"created"`
	Expires string `dynamodbav:"expires"`
}

func (r idempotencyRecord) idempotency() (rack.Idempotency, error) {
	rec := rack.Idempotency{Key: r.Key, Status: rack.IdempotencyStatus(r.Status), Result: r.Result}
	err := parseTimes(map[*time.Time]string{&rec.Created: r.Created, &rec.Expires: r.Expires})
	return rec, err
}

// BeginIdempotent records key as pending unless a live record of it exists.
func (s *Store) BeginIdempotent(ctx context.Context, k string, ttl time.Duration) (rack.Idempotency, bool, error) {
	if k == "" || ttl <= 0 {
		return rack.Idempotency{}, false, rack.Errorf(rack.EINVALID, "an idempotency record needs a key and a positive ttl")
	}
	// A record can expire, or be abandoned, between the failed put and the
	// read that follows it; then the put is worth another try.
	for range 3 {
		now := s.now()
		rec := rack.Idempotency{Key: k, Status: rack.IdempotencyPending, Created: now, Expires: now.Add(ttl)}
		item, err := marshal(idempotencyRecord{Key: k, Status: string(rec.Status), Created: formatTime(now), Expires: formatTime(rec.Expires)},
			map[string]string{names.TablePartitionKey: idempotencyPartition(k), names.TableSortKey: idempotencySortKey})
		if err != nil {
			return rack.Idempotency{}, false, fmt.Errorf("begin %s: %w", k, err)
		}
		item[names.TTLAttribute] = ttlValue(rec.Expires)
		expired := expression.Name("expires").LessThanEqual(expression.Value(formatTime(now)))
		ok, err := s.put(ctx, item, absent().Or(expired))
		if err != nil {
			return rack.Idempotency{}, false, fmt.Errorf("begin %s: %w", k, err)
		}
		if ok {
			return rec, true, nil
		}
		existing, err := s.get(ctx, key(idempotencyPartition(k), idempotencySortKey))
		if err != nil {
			return rack.Idempotency{}, false, fmt.Errorf("begin %s: %w", k, err)
		}
		if existing == nil {
			continue
		}
		r, err := unmarshal[idempotencyRecord](existing)
		if err != nil {
			return rack.Idempotency{}, false, fmt.Errorf("begin %s: %w", k, err)
		}
		live, err := r.idempotency()
		return live, false, err
	}
	return rack.Idempotency{}, false, rack.Errorf(rack.ECONFLICT, "idempotency record %s keeps changing; retry", k)
}

// CompleteIdempotent stores the result of pending work.
func (s *Store) CompleteIdempotent(ctx context.Context, k string, result []byte) error {
	upd := expression.Set(expression.Name("status"), expression.Value(string(rack.IdempotencyDone)))
	upd = setOrRemove(upd, "result", result, len(result) == 0)
	pk := key(idempotencyPartition(k), idempotencySortKey)
	pending := exists().And(expression.Name("status").Equal(expression.Value(string(rack.IdempotencyPending))))
	item, err := s.update(ctx, pk, upd, pending)
	if err != nil {
		return fmt.Errorf("complete %s: %w", k, err)
	}
	if item == nil {
		return s.notPending(ctx, k)
	}
	return nil
}

// AbandonIdempotent deletes pending work's record; an absent one is fine.
func (s *Store) AbandonIdempotent(ctx context.Context, k string) error {
	pending := absent().Or(expression.Name("status").Equal(expression.Value(string(rack.IdempotencyPending))))
	ok, err := s.remove(ctx, key(idempotencyPartition(k), idempotencySortKey), pending)
	if err != nil {
		return fmt.Errorf("abandon %s: %w", k, err)
	}
	if !ok {
		return rack.Errorf(rack.ECONFLICT, "work %s is already done", k)
	}
	return nil
}

func (s *Store) notPending(ctx context.Context, k string) error {
	item, err := s.get(ctx, key(idempotencyPartition(k), idempotencySortKey))
	if err != nil {
		return fmt.Errorf("complete %s: %w", k, err)
	}
	if item == nil {
		return rack.Errorf(rack.ENOTFOUND, "no pending work %s", k)
	}
	return rack.Errorf(rack.ECONFLICT, "work %s is already done", k)
}
