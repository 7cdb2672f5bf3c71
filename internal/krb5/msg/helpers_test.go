package msg

import (
	"go/ast"
	"reflect"
)

// equalValues compares decoded values, ignoring KDCReq.RawReqBody.
func equalValues(a, b any) bool { return reflect.DeepEqual(clearRaw(a), clearRaw(b)) }

// nodeName returns the name of a function declaration, or "".
func nodeName(d ast.Decl) string {
	if fn, ok := d.(*ast.FuncDecl); ok {
		return fn.Name.Name
	}
	return ""
}
