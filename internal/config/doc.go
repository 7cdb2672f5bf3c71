// Package config is the typed configuration of gmsad, the host agent: the
// YAML file (default /etc/gmsa/gmsad.yaml), its defaults and its
// validation, kept apart so that cmd/gmsad only wires and internal/agent
// receives values that make sense. docs/agent.md documents every field.
package config
