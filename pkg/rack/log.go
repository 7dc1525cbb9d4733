package rack

import "time"

// LogEvent is one line of output: a build's, a process's.
type LogEvent struct {
	Time    time.Time
	Message string
}
