package testpeer

// Running the peers' command-line tools.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// CommandError is a peer tool that failed. ldapsearch and ldapmodify exit
// with the LDAP result code, so ExitCode 8 is strongerAuthRequired, 50
// insufficientAccessRights, and so on.
type CommandError struct {
	Command  string // program and arguments; they never carry a secret
	ExitCode int    // -1 if the program did not exit normally
	Stderr   string
	Err      error
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("%s: %v: %s", e.Command, e.Err, strings.TrimSpace(e.Stderr))
}

func (e *CommandError) Unwrap() error { return e.Err }

// cleanEnv is the test binary's environment without the Kerberos and
// OpenLDAP variables a test may have set for another peer.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "KRB5") || strings.HasPrefix(kv, "LDAP") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func run(ctx context.Context, env []string, stdin, name string, args ...string) error {
	_, err := output(ctx, env, stdin, name, args...)
	return err
}

// output runs a program and returns its stdout, or a *CommandError.
func output(ctx context.Context, env []string, stdin, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	if env != nil {
		cmd.Env = env
	}
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		code := -1
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		}
		return stdout.Bytes(), &CommandError{
			Command:  strings.Join(append([]string{filepath.Base(name)}, args...), " "),
			ExitCode: code,
			Stderr:   stderr.String(),
			Err:      err,
		}
	}
	return stdout.Bytes(), nil
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
