// Package test holds cross-component tests against real peers: the pieces
// of internal/krb5 working together with MIT Kerberos, and the quickstart
// run from a freshly built binary (lab, gmsad, a workload, curl-less SPNEGO
// and PostgreSQL), as a user's deployment would.
package test
