package msg

import (
	"testing"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// node is a DER element as a tree, for tests that take a valid encoding,
// change one thing and encode it again with correct lengths.
type node struct {
	tag    byte
	kids   []*node // constructed
	val    []byte  // primitive
	rawLen []byte  // when set, written instead of the DER length
	tail   []byte  // written after the element
}

func parseTree(t testing.TB, b []byte) *node {
	t.Helper()
	s := cryptobyte.String(b)
	n := readNode(t, &s)
	if !s.Empty() {
		t.Fatalf("parseTree: %d bytes left", len(s))
	}
	return n
}

func readNode(t testing.TB, s *cryptobyte.String) *node {
	var c cryptobyte.String
	var tag cbasn1.Tag
	if !s.ReadAnyASN1(&c, &tag) {
		t.Fatalf("parseTree: bad DER")
	}
	n := &node{tag: byte(tag)}
	if tag&0x20 == 0 {
		n.val = append([]byte{}, c...)
		return n
	}
	for !c.Empty() {
		n.kids = append(n.kids, readNode(t, &c))
	}
	return n
}

func (n *node) bytes() []byte {
	var body []byte
	if n.tag&0x20 == 0 {
		body = n.val
	} else {
		for _, k := range n.kids {
			body = append(body, k.bytes()...)
		}
	}
	out := []byte{n.tag}
	switch l := len(body); {
	case n.rawLen != nil:
		out = append(out, n.rawLen...)
	case l < 0x80:
		out = append(out, byte(l))
	case l < 0x100:
		out = append(out, 0x81, byte(l))
	default:
		out = append(out, 0x82, byte(l>>8), byte(l))
	}
	return append(append(out, body...), n.tail...)
}

// at walks down the tree: at(0, 2) is the third child of the first child.
func (n *node) at(path ...int) *node {
	for _, i := range path {
		n = n.kids[i]
	}
	return n
}

// field returns the EXPLICIT [tag] field of a SEQUENCE node.
func (n *node) field(t testing.TB, tag int) *node {
	t.Helper()
	for _, k := range n.kids {
		if k.tag == byte(0xa0|tag) {
			return k
		}
	}
	t.Fatalf("no field [%d]", tag)
	return nil
}

// remove drops the EXPLICIT [tag] field of a SEQUENCE node.
func (n *node) remove(tag int) {
	for i, k := range n.kids {
		if k.tag == byte(0xa0|tag) {
			n.kids = append(n.kids[:i], n.kids[i+1:]...)
			return
		}
	}
}

func prim(tag byte, val []byte) *node { return &node{tag: tag, val: val} }

func cons(tag byte, kids ...*node) *node { return &node{tag: tag, kids: kids} }

func TestTreeRoundTripsEveryVector(t *testing.T) {
	t.Parallel()
	for _, v := range loadVectors(t) {
		if got := parseTree(t, v.der).bytes(); string(got) != string(v.der) {
			t.Errorf("%s: tree does not re-encode", v.name)
		}
	}
}
