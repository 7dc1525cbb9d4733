package main

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rackhq/rack/pkg/rack"
)

func (c *cli) newLogin() *cobra.Command {
	var password string
	cmd := &cobra.Command{
		Use:   "login [host]",
		Short: "Log in to a rack (the password is read from stdin unless -p is given)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			host := c.getenv("CONVOX_HOST")
			if len(args) == 1 {
				host = args[0]
			}
			if host == "" {
				return usageError{fmt.Errorf("no host: convox login HOST")}
			}
			if password == "" {
				password = c.getenv("CONVOX_PASSWORD")
			}
			if password == "" {
				p, err := c.readPassword()
				if err != nil {
					return err
				}
				password = p
			}
			fmt.Fprintf(c.stderr, "Authenticating with %s... ", host)
			client, err := c.clientFor(host, password)
			if err != nil {
				return err
			}
			if _, err := client.Auth(c.ctx()); err != nil {
				fmt.Fprintln(c.stderr, "FAILED")
				if rack.IsCode(err, rack.EUNAUTHORIZED) {
					return rack.Errorf(rack.EUNAUTHORIZED, "login %s: invalid password", host)
				}
				return fmt.Errorf("login %s: %w", host, err)
			}
			sys, err := client.System(c.ctx())
			if err != nil {
				return fmt.Errorf("login %s: %w", host, err)
			}
			if err := c.saveLogin(host, password, sys.Name); err != nil {
				return err
			}
			fmt.Fprintln(c.stderr, "OK")
			return nil
		},
	}
	cmd.Flags().StringVarP(&password, "password", "p", "", "the rack password")
	return cmd
}

// readPassword reads one line of stdin, prompting when it is a terminal.
func (c *cli) readPassword() (string, error) {
	if c.stdinIsTTY {
		fmt.Fprint(c.stderr, "Password: ")
	}
	line, err := bufio.NewReader(c.stdin).ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		if err != nil {
			return "", usageError{fmt.Errorf("no password: give -p, CONVOX_PASSWORD or a line on stdin")}
		}
		return "", usageError{fmt.Errorf("empty password")}
	}
	return line, nil
}

func (c *cli) saveLogin(host, password, name string) error {
	s, err := c.settings()
	if err != nil {
		return err
	}
	auth, err := s.readJSON("auth")
	if err != nil {
		return err
	}
	auth[host] = password
	if err := s.writeJSON("auth", auth); err != nil {
		return err
	}
	if name != "" {
		racks, err := s.readJSON("racks")
		if err != nil {
			return err
		}
		racks[name] = host
		if err := s.writeJSON("racks", racks); err != nil {
			return err
		}
	}
	return s.write("host", []byte(host+"\n"))
}

func (c *cli) newLogout() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Forget the current rack's password",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			host, _, err := c.target()
			if err != nil {
				return err
			}
			s, err := c.settings()
			if err != nil {
				return err
			}
			auth, err := s.readJSON("auth")
			if err != nil {
				return err
			}
			delete(auth, host)
			if err := s.writeJSON("auth", auth); err != nil {
				return err
			}
			if cur, err := s.currentHost(); err == nil && cur == host {
				if err := s.write("host", nil); err != nil {
					return err
				}
			}
			fmt.Fprintf(c.stderr, "Logged out of %s\n", host)
			return nil
		},
	}
}
