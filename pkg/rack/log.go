package rack

import "time"

// LogEvent is one line of output: a build's, a process's.
type LogEvent struct {
	Time    time.Time
	Message string
	// Stream is where it comes from, as Convox names it: service/<name>/
	// <task>, system/cloudformation, system/ecs. Empty for a build's.
	Stream string
	// ID tells events of one time apart, so that a reader reading again
	// from that time shows none twice.
	ID string
}
