// Package table names the rack table's key schema: the attributes and the
// index that the DynamoDB store reads and the rack stack creates. Both sides
// take them from here so they cannot drift apart.
package table

const (
	// PartitionKey and SortKey are the table's primary key (strings).
	PartitionKey = "pk"
	SortKey      = "sk"

	// ListIndex is the global secondary index lists are read from: apps by
	// name, an app's builds and releases newest first. Projection: all.
	ListIndex             = "list"
	ListIndexPartitionKey = "lpk"
	ListIndexSortKey      = "lsk"

	// TTLAttribute holds an epoch-seconds expiry; DynamoDB deletes expired
	// items (idempotency records, leases) some time after it passes.
	TTLAttribute = "ttl"
)
