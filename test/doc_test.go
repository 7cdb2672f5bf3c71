// Package test holds cross-component tests against real peers: the pieces
// of internal/krb5 (and later the agent and the lab) working together with
// MIT Kerberos, Samba and runc, as a user's deployment would.
package test
