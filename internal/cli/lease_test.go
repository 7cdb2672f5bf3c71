package cli

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/internal/agent"
	"github.com/opengmsa/gmsa/internal/config"
)

func loadAgentConfig(path string) (*config.Agent, error) { return config.LoadAgent(path) }

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestLeaseVerbs: create (idempotent with --id), list, show, renew,
// docker-args and delete through gmsad's socket.
func TestLeaseVerbs(t *testing.T) {
	al := startAgentLab(t)
	socket := al.startDaemon(t)
	base := []string{"--socket", socket}
	create := append([]string{"lease", "create", "--credspecs-dir", al.specsDir, "--credential-spec", "file://contoso_webapp01.json",
		"--id", "web-1", "--user", "1000:1000", "-o", "json"}, base...)
	stdout, stderr, code := runCLI(t, "", create...)
	if code != 0 {
		t.Fatalf("lease create: exit %d\n%s", code, stderr)
	}
	var st agent.Status
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatalf("lease create -o json: %v\n%s", err, stdout)
	}
	if st.ID != "web-1" || st.UID != 1000 || len(st.Identities) != 1 || st.Identities[0].Principal != "WebApp01$@CONTOSO.COM" {
		t.Fatalf("created: %s", stdout)
	}
	if _, err := os.Stat(filepath.Join(st.Dir, agent.CCacheFile)); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runCLI(t, "", create...); code != 0 {
		t.Fatalf("lease create again with the same --id: exit %d\n%s", code, stderr)
	}
	stdout, _, code = runCLI(t, "", append([]string{"lease", "list"}, base...)...)
	if code != 0 || !strings.Contains(stdout, "web-1") || !strings.Contains(stdout, "WebApp01$") {
		t.Fatalf("lease list: %s", stdout)
	}
	stdout, _, code = runCLI(t, "", append([]string{"lease", "show", "web-1"}, base...)...)
	if code != 0 || !strings.Contains(stdout, "WebApp01$@CONTOSO.COM") || !strings.Contains(stdout, "renew at") {
		t.Fatalf("lease show: %s", stdout)
	}
	if _, stderr, code := runCLI(t, "", append([]string{"lease", "renew", "web-1"}, base...)...); code != 0 {
		t.Fatalf("lease renew: %s", stderr)
	}
	stdout, _, code = runCLI(t, "", append([]string{"lease", "docker-args", "web-1"}, base...)...)
	want := "--mount type=bind,source=" + st.Dir + ",target=/var/run/gmsa,readonly --env KRB5CCNAME=FILE:/var/run/gmsa/krb5cc --env KRB5_CONFIG=/var/run/gmsa/krb5.conf\n"
	if code != 0 || stdout != want {
		t.Fatalf("lease docker-args:\n%q\nwant\n%q", stdout, want)
	}
	if _, stderr, code := runCLI(t, "", append([]string{"lease", "delete", "web-1"}, base...)...); code != 0 {
		t.Fatalf("lease delete: %s", stderr)
	}
	_, stderr, code = runCLI(t, "", append([]string{"lease", "show", "web-1"}, base...)...)
	if code != exitData || !strings.Contains(stderr, "no such lease") {
		t.Fatalf("lease show after delete: exit %d %s", code, stderr)
	}
	_, stderr, code = runCLI(t, "", "lease", "list", "--socket", filepath.Join(t.TempDir(), "none.sock"))
	if code != exitData || !strings.Contains(stderr, "is gmsad running?") {
		t.Fatalf("lease list without gmsad: exit %d %s", code, stderr)
	}
}
