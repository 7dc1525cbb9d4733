package main

import (
	"io"
	"os"
	"testing"
)

// BenchmarkVersion is one `convox version` with no rack selected, in
// process: building the command tree, resolving the rack, printing.
func BenchmarkVersion(b *testing.B) {
	dir := b.TempDir()
	io := &cliIO{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string {
		if k == "CONVOX_CONFIG" {
			return dir
		}
		return ""
	}, home: os.UserHomeDir}
	for b.Loop() {
		if code := run([]string{"version"}, io); code != 0 {
			b.Fatal(code)
		}
	}
}
