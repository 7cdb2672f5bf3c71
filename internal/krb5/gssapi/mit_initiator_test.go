package gssapi

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// mitPeer is MIT's GSS-API initiator (libgssapi_krb5 through
// testdata/mit_initiator.py), one context per process.
type mitPeer struct {
	t   *testing.T
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func (p *mitPeer) ask(format string, args ...any) []string {
	p.t.Helper()
	fmt.Fprintf(p.in, format+"\n", args...)
	if !p.out.Scan() {
		p.t.Fatalf("MIT initiator exited: %v", p.out.Err())
	}
	return strings.Fields(p.out.Text())
}

func hexOrDash(b []byte) string {
	if len(b) == 0 {
		return "-"
	}
	return hex.EncodeToString(b)
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	if s == "-" {
		return nil
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMITInitiator has MIT's own GSS-API initiate a context with our
// acceptor: MIT builds the AP-REQ (with its 0x8003 checksum and channel
// bindings) and verifies our AP-REP, then both sides exchange Wrap and MIC
// tokens in both directions.
func TestMITInitiator(t *testing.T) {
	python := testpeer.Binaries(t, "MIT GSS-API through python3 ctypes", "python3")[0]
	k := testpeer.StartMITKDC(t, testpeer.MITKDCOptions{Addr: testpeer.Loopback("internal/krb5/gssapi")})
	k.AddPrincipal(t, "alice", "Alice-Passw0rd!")
	k.AddRandKey(t, "HTTP/web.contoso.com")
	ktPath := filepath.Join(k.Dir, "http.keytab")
	k.ExportKeytab(t, "HTTP/web.contoso.com", ktPath)
	b, err := os.ReadFile(ktPath)
	if err != nil {
		t.Fatal(err)
	}
	kt, err := keytab.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile(filepath.Join(k.Dir, "krb5.conf"))
	if err != nil {
		t.Fatal(err)
	}
	confPath := filepath.Join(k.Dir, "krb5-nocanon.conf")
	conf = []byte(strings.Replace(string(conf), "[libdefaults]\n", "[libdefaults]\n    dns_canonicalize_hostname = false\n", 1))
	if err := os.WriteFile(confPath, conf, 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(k.Env(), "KRB5_CONFIG="+confPath, "KRB5CCNAME=FILE:"+filepath.Join(k.Dir, "alice.cc"))
	kinit := k.Command(t, "kinit", "alice")
	kinit.Env, kinit.Stdin = env, strings.NewReader("Alice-Passw0rd!\n")
	if out, err := kinit.CombinedOutput(); err != nil {
		t.Fatalf("kinit: %v: %s", err, out)
	}
	cb := []byte("tls-server-end-point:0123456789abcdef0123456789abcdef")

	start := func(t *testing.T, flags Flags, bindings []byte) (*mitPeer, []byte) {
		cbArg := "-"
		if bindings != nil {
			cbArg = hex.EncodeToString(bindings)
		}
		cmd := exec.Command(python, filepath.Join("testdata", "mit_initiator.py"), "HTTP@web.contoso.com", strconv.Itoa(int(flags)), cbArg)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		in, _ := cmd.StdinPipe()
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		p := &mitPeer{t: t, cmd: cmd, in: in, out: bufio.NewScanner(out)}
		p.out.Buffer(nil, 1<<20)
		t.Cleanup(func() { in.Close(); cmd.Wait() })
		if !p.out.Scan() {
			t.Fatalf("MIT initiator: %s", stderr.String())
		}
		f := strings.Fields(p.out.Text())
		if len(f) != 2 || f[0] != "token" {
			t.Fatalf("MIT initiator said %q", p.out.Text())
		}
		return p, unhex(t, f[1])
	}
	newAcceptor := func(t *testing.T, bindings []byte) *Acceptor {
		a, err := NewAcceptor(AcceptorConfig{Keytab: kt, Service: "HTTP/web.contoso.com", ChannelBindings: bindings, Now: time.Now, Rand: rand.Reader, ReplayCache: &MemoryReplayCache{}})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}

	for _, tc := range []struct {
		name  string
		flags Flags
	}{
		{"mutual with replay and sequence", FlagMutual | FlagReplay | FlagSequence | FlagConf | FlagInteg},
		{"without mutual", FlagReplay | FlagSequence | FlagConf | FlagInteg},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, tok := start(t, tc.flags, cb)
			acc := newAcceptor(t, cb)
			rep, done, err := acc.Step(tok)
			if err != nil || !done {
				t.Fatalf("our acceptor refused MIT's AP-REQ: %v", err)
			}
			if acc.Client() != "alice@CONTOSO.COM" {
				t.Fatalf("Client() = %q", acc.Client())
			}
			if rep != nil {
				if f := p.ask("token %s", hex.EncodeToString(rep)); f[0] != "established" {
					t.Fatalf("MIT refused our AP-REP: %v", f)
				}
			}
			for _, rrc := range []uint16{0, 28} {
				acc.SetWrapRRC(rrc)
				for _, sealed := range []bool{true, false} {
					msg := []byte(fmt.Sprintf("to MIT, rrc %d, sealed %v", rrc, sealed))
					w, err := acc.Wrap(msg, sealed)
					if err != nil {
						t.Fatal(err)
					}
					f := p.ask("unwrap %s", hex.EncodeToString(w))
					if f[0] != "plain" || f[1] != map[bool]string{true: "1", false: "0"}[sealed] || !bytes.Equal(unhex(t, f[2]), msg) {
						t.Fatalf("MIT unwrapping our token (rrc %d, sealed %v): %v", rrc, sealed, f)
					}
					f = p.ask("wrap %d %s", map[bool]int{true: 1, false: 0}[sealed], hexOrDash(msg))
					pt, conf, err := acc.Unwrap(unhex(t, f[1]))
					if err != nil || conf != sealed || !bytes.Equal(pt, msg) {
						t.Fatalf("unwrapping MIT's token (sealed %v): %q %v %v", sealed, pt, conf, err)
					}
				}
			}
			mic, err := acc.MIC([]byte("mechListMIC"))
			if err != nil {
				t.Fatal(err)
			}
			if f := p.ask("verify %s %s", hex.EncodeToString([]byte("mechListMIC")), hex.EncodeToString(mic)); f[0] != "ok" {
				t.Fatalf("MIT refused our MIC: %v", f)
			}
			f := p.ask("mic %s", hex.EncodeToString([]byte("from MIT")))
			if err := acc.VerifyMIC([]byte("from MIT"), unhex(t, f[1])); err != nil {
				t.Fatalf("our VerifyMIC of MIT's MIC: %v", err)
			}
			// Our token replayed to MIT: GSS_S_DUPLICATE_TOKEN (major 2).
			w, _ := acc.Wrap([]byte("once"), true)
			p.ask("unwrap %s", hex.EncodeToString(w))
			if f := p.ask("unwrap %s", hex.EncodeToString(w)); f[0] != "error" || f[1] != "2" {
				t.Fatalf("replay to MIT: %v, want GSS_S_DUPLICATE_TOKEN", f)
			}
			// MIT's token replayed to us.
			f = p.ask("wrap 1 %s", hex.EncodeToString([]byte("twice")))
			tok = unhex(t, f[1])
			if _, _, err := acc.Unwrap(tok); err != nil {
				t.Fatal(err)
			}
			if _, _, err := acc.Unwrap(tok); !errors.Is(err, ErrReplay) {
				t.Fatalf("MIT's token replayed: got %v, want ErrReplay", err)
			}
		})
	}

	t.Run("channel bindings that differ", func(t *testing.T) {
		_, tok := start(t, FlagMutual|FlagConf|FlagInteg, []byte("tls-server-end-point:another"))
		if _, _, err := newAcceptor(t, cb).Step(tok); !errors.Is(err, ErrChannelBinding) {
			t.Fatalf("got %v, want ErrChannelBinding", err)
		}
	})
	t.Run("no channel bindings when we require them", func(t *testing.T) {
		_, tok := start(t, FlagMutual|FlagConf|FlagInteg, nil)
		if _, _, err := newAcceptor(t, cb).Step(tok); !errors.Is(err, ErrChannelBinding) {
			t.Fatalf("got %v, want ErrChannelBinding", err)
		}
	})
}
