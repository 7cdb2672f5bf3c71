package cli

import (
	"github.com/opengmsa/gmsa/internal/atomicfile"

	"fmt"
	"os"
	"strings"
)

// The MIT conventions the Kerberos verbs honour, so that they behave like
// kinit/klist/kvno in a container that has no MIT tools.

// ccachePath resolves a credential cache name: an explicit name, else
// KRB5CCNAME, else MIT's default FILE:/tmp/krb5cc_<uid>. Only FILE caches
// (with or without the "FILE:" prefix) are supported; the error names the
// unsupported type.
func ccachePath(explicit string) (string, error) {
	name := explicit
	if name == "" {
		name = os.Getenv("KRB5CCNAME")
	}
	if name == "" {
		name = fmt.Sprintf("FILE:/tmp/krb5cc_%d", os.Getuid())
	}
	return fileName("credential cache", name)
}

// keytabPath resolves a keytab name: an explicit name, else KRB5_KTNAME,
// else /etc/krb5.keytab (MIT's default).
func keytabPath(explicit string) (string, error) {
	name := explicit
	if name == "" {
		name = os.Getenv("KRB5_KTNAME")
	}
	if name == "" {
		name = "FILE:/etc/krb5.keytab"
	}
	return fileName("keytab", name)
}

func fileName(what, name string) (string, error) {
	typ, rest, found := strings.Cut(name, ":")
	if !found || strings.Contains(typ, "/") {
		return name, nil // a plain path
	}
	switch strings.ToUpper(typ) {
	case "FILE", "WRFILE":
		return rest, nil
	}
	return "", usageError("opengmsa reads and writes FILE: "+what+"s only", "%s %q: type %s is not supported", what, name, typ)
}

// writeFileAtomic writes data to path with the given mode (internal/
// atomicfile), so that a crash or a full disk never leaves a half-written
// cache or keytab behind.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	return atomicfile.Write(path, data, mode)
}
