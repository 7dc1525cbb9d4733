package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	xterm "golang.org/x/term"

	"github.com/rackhq/rack/pkg/rack"
)

func (c *cli) login(root *cobra.Command) {
	c.command(root, "login", "authenticate with a rack", spec{
		usage: "[hostname]", args: atMost(1), flags: []flagSpec{flagString("password", "p", "password")},
	}, func(r *call) error {
		s, err := r.settings()
		if err != nil {
			return err
		}
		host := r.Arg(0)
		if host == "" {
			// Convox logs in to its console by default; a rack has none, so
			// the default is the current rack, to log in to it again.
			if host, err = s.read("host"); err != nil {
				return err
			}
			if host == "" {
				return errors.New("no host: convox login HOSTNAME")
			}
		}
		auth, err := s.readMap("auth")
		if err != nil {
			return err
		}
		password := coalesce(r.String("password"), r.getenv("CONVOX_PASSWORD"), auth[host])
		if password == "" {
			if password, err = r.readPassword(); err != nil {
				return err
			}
		}
		r.Startf("Authenticating with %s", host)
		client, err := r.clientFor(host, password)
		if err != nil {
			return err
		}
		if _, err := client.Auth(r.ctx()); err != nil {
			if rack.IsCode(err, rack.EUNAUTHORIZED) {
				return errors.New("invalid login")
			}
			return fmt.Errorf("login %s: %w", host, err)
		}
		if err := s.setKey("auth", host, password); err != nil {
			return err
		}
		if err := s.write("host", []byte(host)); err != nil {
			return err
		}
		// Rack's addition: the rack's name, so that -r, CONVOX_RACK,
		// .convox/rack, racks and switch know it.
		if sys, err := client.System(r.ctx()); err == nil && sys.Name != "" {
			if err := s.remember(sys.Name, host); err != nil {
				return err
			}
		}
		return r.OK()
	})

	c.command(root, "logout", "forget the current rack's password", spec{args: exactly(0)}, func(r *call) error {
		t, err := r.target()
		if err != nil {
			return err
		}
		s, err := r.settings()
		if err != nil {
			return err
		}
		if err := s.setKey("auth", t.host, ""); err != nil {
			return err
		}
		if cur, err := s.read("host"); err == nil && cur == t.host {
			if err := s.write("host", nil); err != nil {
				return err
			}
		}
		r.Writef("Logged out of %s\n", t.host)
		return nil
	})
}

// remember records the name of the rack at host.
func (s settings) remember(name, host string) error {
	if err := s.setKey("self-managed", name, host); err != nil {
		return err
	}
	return s.setKey("racks", host, name)
}

// forget drops a rack that is gone: its name, its password and, when it
// was current, the current rack.
func (s settings) forget(name string) error {
	racks, err := s.readMap("self-managed")
	if err != nil {
		return err
	}
	host, ok := racks[name]
	if !ok {
		return nil
	}
	for file, key := range map[string]string{"self-managed": name, "racks": host, "auth": host} {
		if err := s.setKey(file, key, ""); err != nil {
			return err
		}
	}
	if cur, err := s.read("host"); err != nil || cur != host {
		return err
	}
	return s.write("host", nil)
}

// readPassword reads the password from the terminal without echo, after
// Convox's prompt, or as one line of stdin when it is not a terminal.
func (r *call) readPassword() (string, error) {
	if r.stdinIsTTY {
		if f, ok := r.stdin.(*os.File); ok {
			r.Writef("Password: ")
			data, err := xterm.ReadPassword(int(f.Fd()))
			r.Writef("\n")
			if err != nil {
				return "", fmt.Errorf("read password: %w", err)
			}
			return string(data), nil
		}
	}
	line, err := bufio.NewReader(r.stdin).ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		if err != nil && err != io.EOF {
			return "", fmt.Errorf("read password: %w", err)
		}
		return "", errors.New("no password: give -p, CONVOX_PASSWORD or a line on stdin")
	}
	return line, nil
}

func (c *cli) racks(root *cobra.Command) {
	c.command(root, "racks", "list available racks", spec{args: exactly(0), flags: []flagSpec{flagJSON}}, func(r *call) error {
		s, err := r.settings()
		if err != nil {
			return err
		}
		racks, err := s.readMap("self-managed")
		if err != nil {
			return err
		}
		auth, err := s.readMap("auth")
		if err != nil {
			return err
		}
		type rackRow struct {
			Name   string `json:"name"`
			Host   string `json:"host"`
			Status string `json:"status"`
		}
		var rows []rackRow
		for _, name := range slices.Sorted(maps.Keys(racks)) {
			status := "unknown"
			if client, err := r.clientFor(racks[name], auth[racks[name]]); err == nil {
				if sys, err := client.System(r.ctx()); err == nil {
					status = sys.Status
				}
			}
			rows = append(rows, rackRow{Name: name, Host: racks[name], Status: status})
		}
		return r.Show(rows, func() error {
			t := r.Table("NAME", "STATUS")
			for _, row := range rows {
				t.Row(row.Name, row.Status)
			}
			return t.Print()
		})
	})

	c.command(root, "switch", "switch current rack", spec{usage: "[rack]", args: atMost(1)}, func(r *call) error {
		s, err := r.settings()
		if err != nil {
			return err
		}
		if name := r.Arg(0); name != "" {
			host, err := s.match(name)
			if err != nil {
				return err
			}
			if name, err = s.nameOf(host); err != nil {
				return err
			}
			if err := s.write("host", []byte(host)); err != nil {
				return err
			}
			if err := s.setKey("racks", host, name); err != nil {
				return err
			}
			r.Writef("Switched to %s\n", name)
			return nil
		}
		if name := r.rackName(); name != "" {
			r.Writef("%s\n", name)
			return nil
		}
		t, err := r.target()
		if err != nil {
			return err
		}
		name, err := s.nameOf(t.host)
		if err != nil {
			return err
		}
		r.Writef("%s\n", name)
		return nil
	})
}

// nameOf is the name of the rack at host, or the host when its name is
// not known.
func (s settings) nameOf(host string) (string, error) {
	racks, err := s.readMap("racks")
	if err != nil {
		return "", err
	}
	if name := racks[host]; name != "" {
		return name, nil
	}
	managed, err := s.readMap("self-managed")
	if err != nil {
		return "", err
	}
	for _, name := range slices.Sorted(maps.Keys(managed)) {
		if managed[name] == host {
			return name, nil
		}
	}
	return host, nil
}

// displayHost is a host as Convox prints it: without scheme or path.
func displayHost(host string) string {
	if u, err := url.Parse(host); err == nil && u.Host != "" {
		return u.Host
	}
	return host
}
