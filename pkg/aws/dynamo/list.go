package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

// list reads one page of the list index partition lpk.
func (s *Store) list(ctx context.Context, lpk string, ascending bool, page rack.Page) ([]map[string]types.AttributeValue, string, error) {
	limit, err := page.PageLimit()
	if err != nil {
		return nil, "", err
	}
	start, err := decodeCursor(page.Cursor, lpk)
	if err != nil {
		return nil, "", err
	}
	expr, err := expression.NewBuilder().
		WithKeyCondition(expression.Key(names.ListIndexPartitionKey).Equal(expression.Value(lpk))).
		Build()
	if err != nil {
		return nil, "", err
	}
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(names.ListIndex),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ScanIndexForward:          aws.Bool(ascending),
		Limit:                     aws.Int32(int32(limit)),
		ExclusiveStartKey:         start,
	})
	if err != nil {
		return nil, "", err
	}
	// DynamoDB may stop short of the limit (1 MB a page) and still have
	// more: the cursor is whatever it says, never inferred from a count.
	next, err := encodeCursor(out.LastEvaluatedKey)
	if err != nil {
		return nil, "", err
	}
	return out.Items, next, nil
}

// cursorKeys are the attributes of a list index position.
var cursorKeys = []string{names.TablePartitionKey, names.TableSortKey, names.ListIndexPartitionKey, names.ListIndexSortKey}

// encodeCursor turns DynamoDB's last evaluated key into an opaque string.
func encodeCursor(last map[string]types.AttributeValue) (string, error) {
	if len(last) == 0 {
		return "", nil
	}
	flat := make(map[string]string, len(cursorKeys))
	for _, k := range cursorKeys {
		v, ok := last[k].(*types.AttributeValueMemberS)
		if !ok {
			return "", rack.Errorf(rack.EINTERNAL, "list index position lacks %s", k)
		}
		flat[k] = v.Value
	}
	b, err := json.Marshal(flat)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// decodeCursor checks a cursor and turns it back into a start key. A cursor
// of another list is refused, so one cannot page into another app's items.
func decodeCursor(cursor, lpk string) (map[string]types.AttributeValue, error) {
	if cursor == "" {
		return nil, nil
	}
	invalid := rack.Errorf(rack.EINVALID, "invalid page cursor")
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, invalid
	}
	var flat map[string]string
	if err := json.Unmarshal(b, &flat); err != nil || len(flat) != len(cursorKeys) || flat[names.ListIndexPartitionKey] != lpk {
		return nil, invalid
	}
	start := make(map[string]types.AttributeValue, len(cursorKeys))
	for _, k := range cursorKeys {
		v, ok := flat[k]
		if !ok || v == "" {
			return nil, invalid
		}
		start[k] = &types.AttributeValueMemberS{Value: v}
	}
	return start, nil
}
