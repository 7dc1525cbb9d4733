package memstore_test

import (
	"testing"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/testkit/memstore"
	"github.com/rackhq/rack/pkg/testkit/storetest"
)

func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now rack.Clock) rack.Store {
		return memstore.New(now)
	})
}
