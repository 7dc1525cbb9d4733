package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNoAWSSDKInConvox keeps the AWS SDK out of the convox binary: its
// packages cost milliseconds of start-up on every run. Only convox-aws,
// which installs and uninstalls racks, links it.
func TestNoAWSSDKInConvox(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, pkg := range strings.Fields(string(out)) {
		require.False(t, strings.HasPrefix(pkg, "github.com/aws/"), "convox links %s", pkg)
	}
	out, err = exec.Command("go", "list", "-deps", "./convox-aws").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "github.com/aws/aws-sdk-go-v2/service/cloudformation\n")
}

// TestVersionAndHelpTouchNothing runs the built binary with every way out
// pointing at a listener that counts connections, and an AWS profile whose
// credential process would leave a mark: version (with no rack selected)
// and help must open no connection and read no AWS configuration.
func TestVersionAndHelpTouchNothing(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "convox")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, ".") // as make builds it
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	var conns atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close()
		}
	}()
	listener := "http://" + l.Addr().String()
	dir := t.TempDir()
	marker := filepath.Join(dir, "aws-loaded")
	awsConfig := filepath.Join(dir, "aws-config")
	require.NoError(t, os.WriteFile(awsConfig, []byte("[profile p]\ncredential_process = touch "+marker+"\n"), 0o600))
	config := filepath.Join(dir, "convox")

	for _, args := range [][]string{{"version"}, {"-v"}, {"--help"}, {"help"}, {}, {"rack", "install", "--help"}} {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{
			"AWS_PROFILE=p", "AWS_CONFIG_FILE=" + awsConfig, "AWS_ENDPOINT_URL=" + listener,
			"HTTP_PROXY=" + listener, "HTTPS_PROXY=" + listener, "AWS_EC2_METADATA_SERVICE_ENDPOINT=" + listener,
			"CONVOX_CONFIG=" + config, "HOME=" + dir,
		}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), "convox %v: %s", args, stderr.String())
		require.Empty(t, stderr.String())
		require.NotEmpty(t, stdout.String())
	}
	require.Zero(t, conns.Load(), "connections opened")
	require.NoFileExists(t, marker, "AWS configuration loaded")
	require.NoDirExists(t, config, "settings written")
}
