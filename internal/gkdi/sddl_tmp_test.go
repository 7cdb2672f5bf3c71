package gkdi
import "testing"
func sddlCrossCheck(t *testing.T) {}
