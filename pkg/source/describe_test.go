package source_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/source"
)

// repo makes a git repository with one commit, whose subject is subject,
// and returns its directory and the commit.
func repo(t *testing.T, subject string) (string, string) {
	t.Helper()
	needGit(t)
	dir := tree(t, map[string]string{"convox.yml": "services: {}\n", "sub/a.txt": "a"})
	run(t, dir, "init", "-q")
	run(t, dir, "add", ".")
	run(t, dir, "-c", "user.name=Test", "-c", "user.email=test@example.org", "commit", "-q", "-m", subject, "-m", "The body, which is no part of the description.")
	return dir, run(t, dir, "rev-parse", "HEAD")
}

// needGit skips a test without git, and keeps the user's own git
// configuration out of one with it.
func needGit(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("git")
	require.NoError(t, err, "git: the project is a git checkout, and Describe asks git")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
}

// run runs git in dir and returns what it printed, trimmed.
func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	require.NoError(t, err, "git %s: %s", strings.Join(args, " "), out)
	return strings.TrimSpace(string(out))
}

func TestDescribe(t *testing.T) {
	dir, commit := repo(t, "Add the web service")
	want := "build " + commit[:10] + " Add the web service"
	ctx := context.Background()

	require.Equal(t, want, source.Describe(ctx, dir))
	require.Equal(t, want, source.Describe(ctx, filepath.Join(dir, "sub")), "from a directory inside the work tree")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "untracked"), []byte("u"), 0o644))
	require.Equal(t, want, source.Describe(ctx, dir), "untracked files don't count, as with Convox")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "sub/a.txt"), []byte("changed"), 0o644))
	require.Empty(t, source.Describe(ctx, dir), "an unstaged change")
}

func TestDescribeNoDescription(t *testing.T) {
	needGit(t)
	ctx := context.Background()

	require.Empty(t, source.Describe(ctx, t.TempDir()), "not a git work tree")

	empty := t.TempDir()
	run(t, empty, "init", "-q")
	require.Empty(t, source.Describe(ctx, empty), "a repository with no commit")

	dir, _ := repo(t, "A commit")
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	require.Empty(t, source.Describe(canceled, dir), "a canceled context")

	t.Setenv("PATH", "")
	require.Empty(t, source.Describe(ctx, dir), "no git on PATH")
}
