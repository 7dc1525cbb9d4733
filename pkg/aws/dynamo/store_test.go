package dynamo_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/rackhq/rack/pkg/aws/dynamo"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/testkit/emulatortest"
	"github.com/rackhq/rack/pkg/testkit/storetest"
)

// TestStoreContract runs the store contract against DynamoDB on the
// emulator, each case on a table of its own.
func TestStoreContract(t *testing.T) {
	db := dynamodb.NewFromConfig(emulatortest.Config(t))
	storetest.Run(t, func(t *testing.T, now rack.Clock) rack.Store {
		return dynamo.New(db, emulatortest.NewTable(t, db), now)
	})
	t.Logf("%d store contract cases against DynamoDB on the %s", storetest.Cases(), emulatortest.String())
}
