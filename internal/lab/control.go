package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
	"github.com/opengmsa/gmsa/internal/lab/kdc"
	"github.com/opengmsa/gmsa/internal/lab/store"
)

// ControlSocket is the name of the running lab's control socket in its data
// directory: a Unix socket, mode 0600, that answers the small JSON-over-HTTP
// API of docs/gmsa_lab_export-keytab.md. It exists because a serving lab
// holds the database's lock, so offline tools cannot open it.
const ControlSocket = "control.sock"

// ErrUnknownPrincipal means no account holds the principal asked for.
var ErrUnknownPrincipal = errors.New("no account holds this principal")

// ErrBadPrincipal means the principal asked for is not a name the lab can
// look up (a malformed name, another realm).
var ErrBadPrincipal = errors.New("malformed principal")

func init() {
	extraServices = append(extraServices, serveControl)
}

// KeytabExport is what ExportKeytab returns: the keytab and, for the
// caller's report, whose keys they are. It holds keys: never log it whole.
type KeytabExport struct {
	Keytab  *keytab.Keytab
	Account string // the sAMAccountName that holds the principal, "WebApp01$"
	GMSA    bool
}

// Entries describes the keytab's entries without their keys.
func (x *KeytabExport) Entries() []KeytabEntryInfo {
	out := make([]KeytabEntryInfo, 0, len(x.Keytab.Entries))
	for _, e := range x.Keytab.Entries {
		out = append(out, KeytabEntryInfo{Principal: e.Principal.String(), KVNO: e.KVNO, Enctype: encTypeName(e.Key.Type)})
	}
	return out
}

// KeytabEntryInfo is one keytab entry without its key.
type KeytabEntryInfo struct {
	Principal string `json:"principal"`
	KVNO      uint32 `json:"kvno"`
	Enctype   string `json:"enctype"`
}

func encTypeName(e crypto.EncType) string {
	switch e {
	case crypto.AES256CTSHMACSHA196:
		return "aes256-cts-hmac-sha1-96"
	case crypto.AES128CTSHMACSHA196:
		return "aes128-cts-hmac-sha1-96"
	case crypto.RC4HMAC:
		return "rc4-hmac"
	}
	return fmt.Sprintf("enctype-%d", int32(e))
}

// ExportKeytab returns the keys the KDC holds for the account that has
// principal — an SPN ("http/mysite.contoso.com", with or without
// "@REALM"), a sAMAccountName ("WebApp01$"; the "$" may be left out) or a
// UPN — as keytab entries, as the lab's ktpass: for a gMSA the keys of its
// current and previous passwords at their key version numbers (those the
// KDC accepts), for users and computers the stored keys; only the
// encryption types the account allows. The entries name the principal as
// asked (an account name as stored) and, for a gMSA, also NAME$.
func (d *Directory) ExportKeytab(ctx context.Context, principal string) (*KeytabExport, error) {
	p, err := keytab.ParsePrincipal(principal)
	if err != nil || len(p.Components) == 0 || slices.Contains(p.Components, "") {
		return nil, fmt.Errorf("%w %q: want an SPN such as http/web.contoso.com or an account name", ErrBadPrincipal, principal)
	}
	name := msg.PrincipalName{NameType: msg.NameTypePrincipal, NameString: p.Components}
	if p.Realm != "" && !strings.EqualFold(p.Realm, d.dom.Realm()) {
		if len(p.Components) != 1 {
			return nil, fmt.Errorf("%w %q: realm %s is not the lab's %s", ErrBadPrincipal, principal, p.Realm, d.dom.Realm())
		}
		// user@upn.suffix: an enterprise name.
		name = msg.PrincipalName{NameType: msg.NameTypeEnterprise, NameString: []string{p.Components[0] + "@" + p.Realm}}
	}
	if len(p.Components) > 1 {
		name.NameType = msg.NameTypeSrvHst
	}
	kp, err := d.KDCBackend().Service(ctx, name, d.dom.Realm())
	if errors.Is(err, kdc.ErrUnknown) {
		return nil, fmt.Errorf("%w: %s", ErrUnknownPrincipal, principal)
	}
	if err != nil {
		return nil, fmt.Errorf("principal %s: %w", principal, err)
	}
	x := &KeytabExport{Keytab: &keytab.Keytab{}, Account: kp.SAMAccountName}
	x.GMSA = d.isGMSASAM(kp.SAMAccountName)

	var names [][]string
	if len(p.Components) > 1 {
		names = append(names, p.Components)
	}
	if len(p.Components) == 1 || x.GMSA {
		names = append(names, []string{kp.SAMAccountName})
	}
	allowed := kp.Enctypes
	if len(allowed) == 0 {
		allowed = []crypto.EncType{crypto.AES256CTSHMACSHA196, crypto.AES128CTSHMACSHA196}
	}
	ts := d.now().Truncate(time.Second)
	for _, n := range names {
		for _, k := range kp.Keys {
			if !slices.Contains(allowed, k.Key.Type) {
				continue
			}
			x.Keytab.Entries = append(x.Keytab.Entries, keytab.Entry{
				Principal: keytab.Principal{NameType: keytab.NameTypePrincipal, Components: n, Realm: d.dom.Realm()},
				Timestamp: ts, KVNO: k.Kvno, Key: k.Key,
			})
		}
	}
	if len(x.Keytab.Entries) == 0 {
		return nil, fmt.Errorf("principal %s: account %s has no keys of an allowed encryption type", principal, kp.SAMAccountName)
	}
	return x, nil
}

func (d *Directory) isGMSASAM(sam string) bool {
	gmsa := false
	_ = d.db.View(func(tx *store.Tx) error {
		e, err := d.findSAM(tx, sam)
		if err == nil {
			gmsa = isGMSAEntry(e)
		}
		return nil
	})
	return gmsa
}

// WriteKeytabFile writes kt to path atomically (a temporary file renamed
// over it) with mode 0600.
func WriteKeytabFile(path string, kt *keytab.Keytab) error {
	b, err := kt.Marshal()
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b, 0o600)
}

// ExportKeytabFromDir exports principal's keys from the lab in dir: through
// the control socket when the lab is serving, else by opening its database
// (which fails while another process holds it). via says which: "socket"
// or "database".
func ExportKeytabFromDir(ctx context.Context, dir, principal string) (x *KeytabExport, via string, err error) {
	sock := filepath.Join(dir, ControlSocket)
	if _, serr := os.Stat(sock); serr == nil {
		x, err = NewControlClient(sock).ExportKeytab(ctx, principal)
		var ce *ControlError
		if err == nil || errors.As(err, &ce) {
			return x, "socket", err
		}
		// A socket left behind by a lab that crashed: nobody answers.
		if !errors.Is(err, errNoServer) {
			return nil, "socket", err
		}
	}
	d, err := Open(dir, Options{ClockOffsetFile: filepath.Join(dir, ClockOffsetFile)})
	if err != nil {
		return nil, "database", err
	}
	defer d.Close()
	x, err = d.ExportKeytab(ctx, principal)
	return x, "database", err
}

// The control API: HTTP/1.1 over DIR/control.sock, JSON bodies.
//
//	POST /v1/export-keytab  {"principal": "http/mysite.contoso.com"}
//	  200 {"account": "WebApp01$", "gmsa": true, "keytab": "<base64 of the keytab file>",
//	       "entries": [{"principal": ..., "kvno": 2, "enctype": "aes256-cts-hmac-sha1-96"}, ...]}
//	  400 / 404 / 500 {"error": "..."}
//	GET /v1/status
//	  200 {"domain": "contoso.com", "realm": "CONTOSO.COM", "pid": 1234}
type exportRequest struct {
	Principal string `json:"principal"`
}

type exportResponse struct {
	Account string            `json:"account"`
	GMSA    bool              `json:"gmsa"`
	Keytab  []byte            `json:"keytab"`
	Entries []KeytabEntryInfo `json:"entries"`
}

type controlStatus struct {
	Domain string `json:"domain"`
	Realm  string `json:"realm"`
	PID    int    `json:"pid"`
}

type errorBody struct {
	Error string `json:"error"`
}

// maxControlRequest bounds a control request's body.
const maxControlRequest = 4096

func (d *Directory) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/export-keytab", func(w http.ResponseWriter, r *http.Request) {
		var req exportRequest
		dec := json.NewDecoder(io.LimitReader(r.Body, maxControlRequest))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, errorBody{Error: "request body: " + err.Error()})
			return
		}
		x, err := d.ExportKeytab(r.Context(), req.Principal)
		if err != nil {
			status := http.StatusInternalServerError
			switch {
			case errors.Is(err, ErrUnknownPrincipal):
				status = http.StatusNotFound
			case errors.Is(err, ErrBadPrincipal):
				status = http.StatusBadRequest
			}
			writeJSON(w, status, errorBody{Error: err.Error()})
			return
		}
		b, err := x.Keytab.Marshal()
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, errorBody{Error: err.Error()})
			return
		}
		d.log.Info("control: keytab exported", "principal", req.Principal, "account", x.Account, "entries", len(x.Keytab.Entries))
		writeJSON(w, http.StatusOK, exportResponse{Account: x.Account, GMSA: x.GMSA, Keytab: b, Entries: x.Entries()})
	})
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, controlStatus{Domain: d.dom.DNSName, Realm: d.dom.Realm(), PID: os.Getpid()})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// serveControl listens on DIR/control.sock for the lab's lifetime.
func serveControl(ctx context.Context, d *Directory, o ServeOptions, info *Info, run func(string, func() error)) error {
	path := filepath.Join(o.Dir, ControlSocket)
	// A socket left by a lab that did not shut down cleanly. The database
	// lock, held by now, proves no other lab serves this directory.
	if st, err := os.Lstat(path); err == nil && st.Mode()&os.ModeSocket != 0 {
		os.Remove(path)
	}
	log := o.Logger.With("component", "control")
	l, err := listenControl(path)
	if err != nil {
		// Not fatal: a data directory whose path is too long for a Unix
		// socket (108 bytes) still serves everything else.
		log.Warn("no control socket: export-keytab needs the lab stopped", "path", path, "err", err)
		return nil
	}
	srv := &http.Server{Handler: d.controlHandler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	pl := &peerListener{Listener: l, uid: os.Getuid(), log: log}
	run("control", func() error {
		defer os.Remove(path)
		go func() {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
		if err := srv.Serve(pl); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	return nil
}

// listenControl creates the socket in a private (0700) directory next to
// path, makes it 0600 and only then renames it into place, so that it is
// never reachable with the umask's mode.
func listenControl(path string) (net.Listener, error) {
	tmp, err := os.MkdirTemp(filepath.Dir(path), ".control")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	staged := filepath.Join(tmp, "s")
	l, err := net.Listen("unix", staged)
	if err != nil {
		return nil, err
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	if err := os.Chmod(staged, 0o600); err != nil {
		l.Close()
		return nil, err
	}
	if err := os.Rename(staged, path); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// peerListener drops connections whose peer is neither the lab's user nor
// root (SO_PEERCRED on Linux; elsewhere the socket's mode alone guards it).
type peerListener struct {
	net.Listener
	uid int
	log *slog.Logger
}

func (l *peerListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		uid, ok, err := peerUID(c)
		if err != nil || (ok && uid != l.uid && uid != 0) {
			l.log.Warn("control: connection refused", "peer_uid", uid, "lab_uid", l.uid, "err", err)
			c.Close()
			continue
		}
		return c, nil
	}
}

// ControlClient talks to a running lab's control socket.
type ControlClient struct {
	hc *http.Client
}

// ControlError is an error the lab answered through the control API.
type ControlError struct {
	Status  int
	Message string
}

func (e *ControlError) Error() string {
	return fmt.Sprintf("lab control (%d): %s", e.Status, e.Message)
}

// Is makes a 404 match ErrUnknownPrincipal and a 400 ErrBadPrincipal.
func (e *ControlError) Is(target error) bool {
	return (target == ErrUnknownPrincipal && e.Status == http.StatusNotFound) ||
		(target == ErrBadPrincipal && e.Status == http.StatusBadRequest)
}

var errNoServer = errors.New("no lab answers on the control socket")

// NewControlClient returns a client of the control socket at path.
func NewControlClient(path string) *ControlClient {
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dl net.Dialer
		c, err := dl.DialContext(ctx, "unix", path)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errNoServer, err)
		}
		return c, nil
	}, DisableKeepAlives: true}
	return &ControlClient{hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// ExportKeytab asks the lab for principal's keys (see Directory.ExportKeytab).
func (c *ControlClient) ExportKeytab(ctx context.Context, principal string) (*KeytabExport, error) {
	body, _ := json.Marshal(exportRequest{Principal: principal})
	var resp exportResponse
	if err := c.do(ctx, http.MethodPost, "/v1/export-keytab", body, &resp); err != nil {
		return nil, err
	}
	kt, err := keytab.Parse(resp.Keytab)
	if err != nil {
		return nil, fmt.Errorf("lab control: the keytab answered: %w", err)
	}
	return &KeytabExport{Keytab: kt, Account: resp.Account, GMSA: resp.GMSA}, nil
}

func (c *ControlClient) do(ctx context.Context, method, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, "http://lab"+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e errorBody
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = http.StatusText(resp.StatusCode)
		}
		return &ControlError{Status: resp.StatusCode, Message: e.Error}
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("lab control %s: answer: %w", path, err)
	}
	return nil
}
