package wire

import (
	"io"
	"log/slog"

	"github.com/rackhq/rack/pkg/names"
)

// Logger returns the JSON handler a function logs with, to w, at the level
// RACK_LOG_LEVEL asks for (info unless it says debug, warn or error).
func Logger(w io.Writer, getenv func(string) string) slog.Handler {
	var level slog.Level
	if err := level.UnmarshalText([]byte(getenv(names.EnvLogLevel))); err != nil {
		level = slog.LevelInfo
	}
	return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
}
