package httpraw

import (
	"fmt"
	"slices"
	"strings"
)

// Mux routes requests by method and path.
//
// A pattern is "METHOD /path", where each path segment is a literal, a
// wildcard "{name}" matching one non-empty segment, or, as the last segment
// only, "{name...}" matching the rest of the path (possibly empty). The
// values are available through Request.Param. Literal segments take
// precedence over wildcards, and "{name}" over "{name...}", whatever the
// order of registration.
//
// GET routes also answer HEAD (the server sends no body). A path that
// matches no pattern is answered by NotFound; a path that matches with
// another method is answered 405 with an Allow field listing the methods
// (RFC 9110 §15.5.6).
type Mux struct {
	// NotFound answers requests whose path matches no pattern; nil means a
	// plain-text 404.
	NotFound Handler
	// MethodNotAllowed answers requests whose path matches but whose
	// method does not; it is called after Allow is set. nil means a
	// plain-text 405.
	MethodNotAllowed Handler

	root node
}

type node struct {
	literal  map[string]*node
	param    *node  // {name}
	rest     *node  // {name...}
	name     string // wildcard name, on param and rest nodes
	handlers map[string]Handler
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{} }

// HandleFunc registers f for pattern; see Handle.
func (m *Mux) HandleFunc(pattern string, f func(ResponseWriter, *Request)) {
	m.Handle(pattern, HandlerFunc(f))
}

// Handle registers h for pattern, e.g. "GET /vlogs/{id}". It panics if the
// pattern is malformed (no method, a path not starting with "/", a bad
// wildcard, "{name...}" not last, a wildcard name used twice) or was
// already registered.
func (m *Mux) Handle(pattern string, h Handler) {
	if h == nil {
		panic("httpraw: nil handler for " + pattern)
	}
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || methodName([]byte(method)) == "" || path == "" || path[0] != '/' {
		panic(fmt.Sprintf("httpraw: malformed pattern %q: want \"METHOD /path\"", pattern))
	}
	n := &m.root
	var names []string
	segs := strings.Split(path[1:], "/")
	for i, seg := range segs {
		name, isWild, isRest := parseSegment(seg)
		if isWild {
			if name == "" || !isToken(name) || slices.Contains(names, name) {
				panic(fmt.Sprintf("httpraw: malformed pattern %q: bad wildcard %q", pattern, seg))
			}
			names = append(names, name)
		}
		if !isWild && strings.ContainsAny(seg, "{}") {
			panic(fmt.Sprintf("httpraw: malformed pattern %q: bad segment %q", pattern, seg))
		}
		switch {
		case isRest:
			if i != len(segs)-1 {
				panic(fmt.Sprintf("httpraw: malformed pattern %q: %q must be last", pattern, seg))
			}
			n = n.child(&n.rest, name, pattern)
		case isWild:
			n = n.child(&n.param, name, pattern)
		default:
			if n.literal == nil {
				n.literal = make(map[string]*node)
			}
			next := n.literal[seg]
			if next == nil {
				next = &node{}
				n.literal[seg] = next
			}
			n = next
		}
	}
	if n.handlers == nil {
		n.handlers = make(map[string]Handler)
	}
	if _, dup := n.handlers[method]; dup {
		panic(fmt.Sprintf("httpraw: pattern %q registered twice", pattern))
	}
	n.handlers[method] = h
}

// child returns the wildcard child stored in *slot, creating it. Two
// patterns may share a wildcard position only under the same name, so that
// Param means one thing per route.
func (n *node) child(slot **node, name, pattern string) *node {
	if *slot == nil {
		*slot = &node{name: name}
	} else if (*slot).name != name {
		panic(fmt.Sprintf("httpraw: pattern %q: wildcard {%s} conflicts with {%s} at the same position", pattern, name, (*slot).name))
	}
	return *slot
}

func parseSegment(seg string) (name string, wild, rest bool) {
	if len(seg) < 2 || seg[0] != '{' || seg[len(seg)-1] != '}' {
		return "", false, false
	}
	name = seg[1 : len(seg)-1]
	if n, ok := strings.CutSuffix(name, "..."); ok {
		return n, true, true
	}
	return name, true, false
}

// ServeHTTP dispatches r to the handler of the most specific matching
// pattern.
func (m *Mux) ServeHTTP(w ResponseWriter, r *Request) {
	if r.Path == "" || r.Path[0] != '/' {
		m.notFound(w, r)
		return
	}
	var allow methodSet
	matched := false
	h := m.root.match(r, r.Path[1:], &allow, &matched)
	switch {
	case h != nil:
		h.ServeHTTP(w, r)
	case matched:
		w.Header().Set("Allow", allow.String())
		if m.MethodNotAllowed != nil {
			m.MethodNotAllowed.ServeHTTP(w, r)
			return
		}
		Error(w, errorBody(405), 405)
	default:
		m.notFound(w, r)
	}
}

func (m *Mux) notFound(w ResponseWriter, r *Request) {
	r.params = r.params[:0]
	if m.NotFound != nil {
		m.NotFound.ServeHTTP(w, r)
		return
	}
	Error(w, errorBody(404), 404)
}

// match walks the tree for path (without its leading "/"), literal first,
// then {name}, then {name...}, backtracking so that the most specific
// pattern with a handler for the method wins. When paths match but methods
// do not, it records the allowed methods.
func (n *node) match(r *Request, path string, allow *methodSet, matched *bool) Handler {
	seg, rest, last := path, "", true
	if i := strings.IndexByte(path, '/'); i >= 0 {
		seg, rest, last = path[:i], path[i+1:], false
	}
	if next := n.literal[seg]; next != nil {
		if h := next.end(r, rest, last, allow, matched); h != nil {
			return h
		}
	}
	if n.param != nil && seg != "" {
		mark := len(r.params)
		r.params = append(r.params, param{n.param.name, seg})
		if h := n.param.end(r, rest, last, allow, matched); h != nil {
			return h
		}
		r.params = r.params[:mark]
	}
	if n.rest != nil {
		mark := len(r.params)
		r.params = append(r.params, param{n.rest.name, path})
		if h := n.rest.handlerFor(r, allow, matched); h != nil {
			return h
		}
		r.params = r.params[:mark]
	}
	return nil
}

// end continues matching below n, or, at the end of the path, looks for a
// handler in n.
func (n *node) end(r *Request, rest string, last bool, allow *methodSet, matched *bool) Handler {
	if last {
		if h := n.handlerFor(r, allow, matched); h != nil {
			return h
		}
		// "/static/{path...}" also matches "/static/" and "/static".
		if n.rest != nil {
			mark := len(r.params)
			r.params = append(r.params, param{n.rest.name, ""})
			if h := n.rest.handlerFor(r, allow, matched); h != nil {
				return h
			}
			r.params = r.params[:mark]
		}
		return nil
	}
	return n.match(r, rest, allow, matched)
}

func (n *node) handlerFor(r *Request, allow *methodSet, matched *bool) Handler {
	if len(n.handlers) == 0 {
		return nil
	}
	if h := n.handlers[r.Method]; h != nil {
		return h
	}
	if r.Method == "HEAD" {
		if h := n.handlers["GET"]; h != nil {
			return h // RFC 9110 §9.3.2: HEAD is GET without content
		}
	}
	*matched = true
	for m := range n.handlers {
		allow.add(m)
		if m == "GET" {
			allow.add("HEAD")
		}
	}
	return nil
}

// methodSet is the set of methods for an Allow field, kept in a fixed order.
type methodSet uint16

var allMethods = [...]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}

func (s *methodSet) add(m string) {
	for i, name := range allMethods {
		if name == m {
			*s |= 1 << i
		}
	}
}

func (s methodSet) String() string {
	var b strings.Builder
	for i, name := range allMethods {
		if s&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			b.WriteString(name)
		}
	}
	return b.String()
}
