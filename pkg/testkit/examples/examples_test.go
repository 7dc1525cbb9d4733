package examples_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/manifest"
	"github.com/rackhq/rack/pkg/testkit/examples"
)

// TestNamesAreTheDirectories keeps Names and the directories in step.
func TestNamesAreTheDirectories(t *testing.T) {
	entries, err := os.ReadDir(examples.Dir())
	require.NoError(t, err)
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	require.Equal(t, dirs, examples.Names())
}

// TestManifestsAreValid checks every example's manifest, and that each
// built service's Dockerfile is there.
func TestManifestsAreValid(t *testing.T) {
	for _, name := range examples.Names() {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(examples.Path(name), examples.Manifest(name))
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			m, err := manifest.Parse(data)
			require.NoError(t, err)
			require.NotEmpty(t, m.Services)
			for _, s := range m.Services {
				if s.Image != "" {
					continue
				}
				dockerfile := filepath.Join(filepath.Dir(file), s.Build.Path, s.Build.Manifest)
				require.FileExists(t, dockerfile, "service %s", s.Name)
			}
		})
	}
}
