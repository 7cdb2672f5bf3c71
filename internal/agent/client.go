package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
)

// DefaultSocket is where gmsad listens unless configured otherwise.
const DefaultSocket = "/run/gmsad/gmsad.sock"

// Client talks to gmsad's API over its Unix socket: what `gmsa run` and
// `gmsa lease` use.
type Client struct {
	hc *http.Client
}

// NewClient returns a client for the socket at path.
func NewClient(path string) *Client {
	return &Client{hc: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}}
}

// APIError is an error answer of the API: its status code and message.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string { return fmt.Sprintf("gmsad: %s (HTTP %d)", e.Message, e.Status) }

// Is lets errors.Is match an APIError with the sentinel its status stands
// for.
func (e *APIError) Is(target error) bool {
	switch e.Status {
	case http.StatusBadRequest:
		return target == ErrInvalid
	case http.StatusForbidden:
		return target == ErrForbidden
	case http.StatusNotFound:
		return target == ErrNotFound
	case http.StatusConflict:
		return target == ErrConflict
	}
	return false
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://gmsad"+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct{ Error string }
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = http.StatusText(resp.StatusCode)
		}
		return &APIError{Status: resp.StatusCode, Message: e.Error}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("gmsad: answer to %s %s: %w", method, path, err)
	}
	return nil
}

// Create asks for a lease.
func (c *Client) Create(ctx context.Context, req CreateRequest) (*Status, error) {
	var s Status
	return &s, c.do(ctx, http.MethodPost, "/v1/leases", req, &s)
}

// List returns the caller's leases.
func (c *Client) List(ctx context.Context) ([]*Status, error) {
	var s []*Status
	return s, c.do(ctx, http.MethodGet, "/v1/leases", nil, &s)
}

// Show returns one lease.
func (c *Client) Show(ctx context.Context, id string) (*Status, error) {
	var s Status
	return &s, c.do(ctx, http.MethodGet, "/v1/leases/"+url.PathEscape(id), nil, &s)
}

// Renew renews a lease's TGTs now.
func (c *Client) Renew(ctx context.Context, id string) (*Status, error) {
	var s Status
	return &s, c.do(ctx, http.MethodPost, "/v1/leases/"+url.PathEscape(id)+"/renew", nil, &s)
}

// Delete deletes a lease.
func (c *Client) Delete(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/leases/"+url.PathEscape(id), nil, nil)
}
