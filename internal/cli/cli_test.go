package cli

import (
	"context"
	"encoding/base64"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// The CLI is tested as scripts in testdata/script (txtar): each runs `gmsa`
// in-process with a fixed clock (GMSA_TEST_NOW, RFC 3339, read only here),
// and compares stdout, stderr and the exit status.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"gmsa": func() {
			now := time.Now
			if s := os.Getenv("GMSA_TEST_NOW"); s != "" {
				t, err := time.Parse(time.RFC3339, s)
				if err != nil {
					panic(err)
				}
				now = func() time.Time { return t }
			}
			e := &env{Streams: Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, now: now}
			os.Exit(run(context.Background(), os.Args[1:], e))
		},
	})
}

func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("GMSA_TEST_NOW", "2024-02-14T12:00:00Z")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// unbase64 IN OUT writes the bytes of a base64 text file.
			"unbase64": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: unbase64 IN OUT")
				}
				b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(ts.ReadFile(args[0])))
				ts.Check(err)
				ts.Check(os.WriteFile(ts.MkAbs(args[1]), b, 0o600))
			},
		},
	})
}

func TestScriptsExist(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir("testdata/script")
	if err != nil || len(entries) < 5 {
		t.Fatalf("expected the CLI scenarios in testdata/script, found %d (%v)", len(entries), err)
	}
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 2, 14, 12, 0, 0, 0, time.UTC)
	cases := map[string]string{
		"2023-09-09T15:02:06Z":      "2023-09-09T15:02:06Z",
		"2023-09-09T17:02:06+02:00": "2023-09-09T15:02:06Z",
		"133387453260000000":        "2023-09-09T15:02:06Z",
		"-10h":                      "2024-02-14T02:00:00Z",
		"+30m":                      "2024-02-14T12:30:00Z",
		"-31d":                      "2024-01-14T12:00:00Z",
	}
	for in, want := range cases {
		got, err := parseTime("time", in, now)
		if err != nil || got.Format(time.RFC3339) != want {
			t.Errorf("parseTime(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "yesterday", "10h", "2023-09-09", "-x d"} {
		if _, err := parseTime("time", bad, now); err == nil || !strings.Contains(err.Error(), "--time") {
			t.Errorf("parseTime(%q): err %v should name the flag", bad, err)
		}
	}
}
