package rack

import "time"

// Clock tells the time. Everything that stamps or compares times takes one,
// so tests can move time forward instead of waiting for it.
type Clock func() time.Time

// SystemClock is the wall clock in UTC.
func SystemClock() time.Time { return time.Now().UTC() }
