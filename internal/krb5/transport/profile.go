package transport

import (
	"bytes"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// This file is the MIT profile syntax that krb5.conf is written in, as MIT's
// util/profile/prof_parse.c reads it:
//
//   - A line whose first non-blank character is "#" or ";" is a comment;
//     lines before the first section header are ignored.
//   - "[name]" starts a section, at the top level only; "[name]*" marks it
//     final. Sections of the same name merge.
//   - "tag = value" adds a relation; values keep everything after the "="
//     up to the end of the line except surrounding blanks (a "#" later on the
//     line is part of the value, as in MIT); a value starting with '"' is a
//     quoted string with \n, \t, \b and \\ escapes. A tag may be quoted too,
//     and "tag* = value" marks the relation final.
//   - "tag = {" (or "tag =" with "{" on the next line) opens a subsection,
//     closed by "}" (or "}*", final). Subsections of the same name merge.
//   - "include FILE" and "includedir DIR", at the very start of a line, read
//     other files (absolute paths) into the same tree; includedir reads, in
//     name order, the files whose names are made only of letters, digits,
//     "-" and "_", or end in ".conf" without starting with ".".
//
// The final marker matters only between files of a KRB5_CONFIG list: a
// final node of an earlier file hides the same node of later files.

// maxIncludeDepth bounds include nesting, which also stops include cycles.
const maxIncludeDepth = 8

// node is a section, a subsection or a relation.
type node struct {
	name     string
	value    string  // a relation's value
	children []*node // a section's or subsection's contents, in order
	isGroup  bool    // section or subsection
	final    bool
	file     string
	line     int
}

func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.isGroup && c.name == name {
			return c
		}
	}
	return nil
}

// group returns the subsection named name, adding it when missing: MIT
// merges sections and subsections of the same name.
func (n *node) group(name, file string, line int) *node {
	if c := n.child(name); c != nil {
		return c
	}
	c := &node{name: name, isGroup: true, file: file, line: line}
	n.children = append(n.children, c)
	return c
}

type profileParser struct {
	fsys  fs.FS // nil: includes are errors
	root  *node
	depth int
}

func (p *profileParser) errorf(file string, line int, text string, sentinel error, reason string) *ConfigError {
	return &ConfigError{File: file, Line: line, Text: strings.TrimSpace(text), Reason: reason, Err: sentinel}
}

// parse reads one file's bytes into p.root.
func (p *profileParser) parse(file string, data []byte) error {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		line := 1 + bytes.Count(data[:i], []byte("\n"))
		return p.errorf(file, line, "", ErrSyntax, "NUL byte in line")
	}
	var (
		stack      []*node // open groups; stack[0] is the current section
		started    bool    // a section header has been seen
		wantBrace  bool    // "tag =" seen, "{" must follow
		braceLine  []int   // lines where the open subsections started
		pendingTag *node
	)
	lines := strings.Split(string(data), "\n")
	for i, raw := range lines {
		lineNo := i + 1
		raw = strings.TrimRight(raw, "\r")
		if strings.HasPrefix(raw, "include") && len(raw) > 7 && isBlank(raw[7]) {
			if err := p.include(file, lineNo, raw, strings.TrimSpace(raw[7:]), false); err != nil {
				return err
			}
			continue
		}
		if strings.HasPrefix(raw, "includedir") && len(raw) > 10 && isBlank(raw[10]) {
			if err := p.include(file, lineNo, raw, strings.TrimSpace(raw[10:]), true); err != nil {
				return err
			}
			continue
		}
		line := strings.TrimSpace(raw)
		if wantBrace {
			if line == "" || line[0] == '#' || line[0] == ';' {
				continue
			}
			if line[0] != '{' || strings.TrimSpace(line[1:]) != "" && !isComment(strings.TrimSpace(line[1:])) {
				return p.errorf(file, lineNo, raw, ErrSyntax, "expected { to open the subsection "+pendingTag.name)
			}
			wantBrace = false
			stack = append(stack, pendingTag)
			braceLine = append(braceLine, lineNo)
			pendingTag = nil
			continue
		}
		if line == "" || isComment(line) {
			continue
		}
		if !started {
			if line[0] != '[' {
				continue // MIT ignores what precedes the first section
			}
			started = true
		}
		switch line[0] {
		case '[':
			if len(stack) > 1 {
				return p.errorf(file, lineNo, raw, ErrSyntax, "section header inside a subsection opened on line "+itoa(braceLine[len(braceLine)-1]))
			}
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return p.errorf(file, lineNo, raw, ErrSyntax, "section header without ]")
			}
			rest := line[end+1:]
			final := strings.HasPrefix(rest, "*")
			if final {
				rest = rest[1:]
			}
			if strings.TrimSpace(rest) != "" {
				return p.errorf(file, lineNo, raw, ErrSyntax, "text after the section header")
			}
			sec := p.root.group(line[1:end], file, lineNo)
			sec.final = sec.final || final
			stack = []*node{sec}
			braceLine = braceLine[:0]
			continue
		case '}':
			if len(stack) <= 1 {
				return p.errorf(file, lineNo, raw, ErrSyntax, "} without a matching {")
			}
			if strings.HasPrefix(line[1:], "*") {
				stack[len(stack)-1].final = true
			}
			stack = stack[:len(stack)-1]
			braceLine = braceLine[:len(braceLine)-1]
			continue
		}
		tag, value, ok := strings.Cut(line, "=")
		if !ok {
			return p.errorf(file, lineNo, raw, ErrSyntax, "missing = in relation")
		}
		if tag == "" {
			return p.errorf(file, lineNo, raw, ErrSyntax, "relation without a name")
		}
		if tag[0] == '"' {
			tag = unquote(tag[1:])
		} else {
			tag = strings.TrimRight(tag, " \t")
			if strings.ContainsAny(tag, " \t") {
				return p.errorf(file, lineNo, raw, ErrSyntax, "blank inside a relation name")
			}
		}
		final := false
		if j := strings.IndexByte(tag, '*'); j >= 0 {
			tag, final = tag[:j], true
		}
		value = strings.TrimSpace(value)
		cur := stack[len(stack)-1]
		switch {
		case strings.HasPrefix(value, `"`):
			value = unquote(value[1:])
		case value == "" || isComment(value):
			g := cur.group(tag, file, lineNo)
			g.final = g.final || final
			wantBrace, pendingTag = true, g
			continue
		case value[0] == '{':
			if rest := strings.TrimSpace(value[1:]); rest != "" && !isComment(rest) {
				return p.errorf(file, lineNo, raw, ErrSyntax, "text after { on the line that opens a subsection")
			}
			g := cur.group(tag, file, lineNo)
			g.final = g.final || final
			stack = append(stack, g)
			braceLine = append(braceLine, lineNo)
			continue
		}
		cur.children = append(cur.children, &node{name: tag, value: value, final: final, file: file, line: lineNo})
	}
	if wantBrace {
		return p.errorf(file, len(lines), "", ErrSyntax, "missing { for the subsection "+pendingTag.name+" at the end of the file")
	}
	if len(braceLine) > 0 {
		open := braceLine[len(braceLine)-1]
		return p.errorf(file, open, lines[open-1], ErrSyntax, "{ is never closed")
	}
	return nil
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' }

func isComment(s string) bool { return s != "" && (s[0] == '#' || s[0] == ';') }

// unquote reads a quoted string after its opening quote, as MIT's
// parse_quoted_string does: up to the closing quote (or the end), with \n,
// \t and \b escapes and any other escaped character taken as itself. What
// follows the closing quote is ignored.
func unquote(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' {
			break
		}
		if c == '\\' {
			i++
			if i == len(s) {
				break
			}
			switch s[i] {
			case 'n':
				c = '\n'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			default:
				c = s[i]
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

func (p *profileParser) include(file string, line int, raw, target string, dir bool) error {
	if p.fsys == nil {
		return p.errorf(file, line, raw, ErrInclude, "include needs a file system: use LoadConfig or LoadConfigFS")
	}
	if !path.IsAbs(target) {
		return p.errorf(file, line, raw, ErrInclude, "include path must be absolute")
	}
	if p.depth >= maxIncludeDepth {
		return p.errorf(file, line, raw, ErrInclude, "includes nested more than "+itoa(maxIncludeDepth)+" deep (a cycle?)")
	}
	p.depth++
	defer func() { p.depth-- }()
	if !dir {
		return p.readFile(target, file, line, raw)
	}
	entries, err := fs.ReadDir(p.fsys, fsPath(target))
	if err != nil {
		return p.errorf(file, line, raw, ErrInclude, brief(err))
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() || e.Type()&fs.ModeSymlink != 0 {
			if includable(e.Name()) {
				names = append(names, e.Name())
			}
		}
	}
	slices.Sort(names)
	for _, n := range names {
		if err := p.readFile(path.Join(target, n), file, line, raw); err != nil {
			return err
		}
	}
	return nil
}

func (p *profileParser) readFile(target, file string, line int, raw string) error {
	data, err := fs.ReadFile(p.fsys, fsPath(target))
	if err != nil {
		return p.errorf(file, line, raw, ErrInclude, brief(err))
	}
	return p.parse(target, data)
}

// includable says whether includedir reads a file, as MIT 1.15 and later.
func includable(name string) bool {
	if strings.HasSuffix(name, ".conf") && !strings.HasPrefix(name, ".") {
		return true
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return name != ""
}

// fsPath maps an absolute path to an io/fs path of a file system rooted at
// "/".
func fsPath(p string) string {
	p = strings.TrimPrefix(path.Clean(p), "/")
	if p == "" {
		return "."
	}
	return p
}

// merge adds src's contents to dst, as MIT's profile library reads a list of
// files: later files add values, except under a node that an earlier file
// marked final.
func merge(dst, src *node) {
	for _, c := range src.children {
		if c.isGroup {
			d := dst.child(c.name)
			if d == nil {
				cp := *c
				cp.children = nil
				dst.children = append(dst.children, &cp)
				merge(&cp, c)
				continue
			}
			if !d.final {
				merge(d, c)
			}
			continue
		}
		if slices.ContainsFunc(dst.children, func(d *node) bool { return !d.isGroup && d.name == c.name && d.final }) {
			continue
		}
		cp := *c
		dst.children = append(dst.children, &cp)
	}
}
