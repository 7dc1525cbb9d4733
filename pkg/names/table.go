package names

// The rack table's key schema: the attributes and the index the DynamoDB
// store reads and the rack stack creates.
const (
	// TablePartitionKey and TableSortKey are the table's primary key
	// (strings).
	TablePartitionKey = "pk"
	TableSortKey      = "sk"

	// ListIndex is the global secondary index lists are read from: apps by
	// name, an app's builds and releases newest first. Projection: all.
	ListIndex             = "list"
	ListIndexPartitionKey = "lpk"
	ListIndexSortKey      = "lsk"

	// TTLAttribute holds an epoch-seconds expiry; DynamoDB deletes expired
	// items (idempotency records, leases) some time after it passes.
	TTLAttribute = "ttl"
)
