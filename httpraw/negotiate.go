package httpraw

// NotModified reports whether r is a GET or HEAD whose If-None-Match lists
// etag, or is "*" (RFC 9110 §13.1.2, weak comparison): the answer is then
// 304 Not Modified with no content. It reads every If-None-Match field line
// and allocates nothing.
func NotModified(r *Request, etag string) bool {
	if r.Method != "GET" && r.Method != "HEAD" {
		return false
	}
	for i := range r.Header.fields {
		f := &r.Header.fields[i]
		if equalFold(f.Name, "If-None-Match") && etagMatch(f.Value, etag, true) {
			return true
		}
	}
	return false
}

// AcceptsGzip reports whether the Accept-Encoding fields of h (RFC 9110
// §12.5.3) make gzip the coding to send: its weight (its own, or that of
// "*" when gzip is not listed) is above zero, and not below the weight the
// request gives "identity" explicitly. An element whose weight is malformed
// is ignored. It allocates nothing.
func AcceptsGzip(h *Header) bool {
	gz, star, id := -1, -1, -1 // weights in thousandths; -1: not listed
	for i := range h.fields {
		f := &h.fields[i]
		if !equalFold(f.Name, "Accept-Encoding") {
			continue
		}
		for rest := f.Value; rest != ""; {
			var elem string
			elem, rest = cutByte(rest, ',')
			coding, params := cutByte(elem, ';')
			coding = trimOWS(coding)
			q, ok := qvalue(params)
			if !ok {
				continue
			}
			switch {
			case equalFold(coding, "gzip"), equalFold(coding, "x-gzip"):
				gz = max(gz, q)
			case coding == "*":
				star = max(star, q)
			case equalFold(coding, "identity"):
				id = max(id, q)
			}
		}
	}
	if gz < 0 {
		gz = star
	}
	return gz > 0 && gz >= id
}

// qvalue finds the weight among the parameters of an Accept-Encoding
// element ("q=0.5", possibly beside others) and returns it in thousandths:
// 1000 when there is none. ok is false for a malformed weight
// (RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )).
func qvalue(params string) (q int, ok bool) {
	for rest := params; rest != ""; {
		var p string
		p, rest = cutByte(rest, ';')
		k, v := cutByte(trimOWS(p), '=')
		if !equalFold(trimOWS(k), "q") {
			continue
		}
		return parseQvalue(trimOWS(v))
	}
	return 1000, true
}

func parseQvalue(v string) (int, bool) {
	if v == "" || len(v) > 5 || (v[0] != '0' && v[0] != '1') {
		return 0, false
	}
	q := int(v[0]-'0') * 1000
	if len(v) == 1 {
		return q, true
	}
	if v[1] != '.' {
		return 0, false
	}
	scale := 100
	for i := 2; i < len(v); i++ {
		d := v[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		q += int(d-'0') * scale
		scale /= 10
	}
	if q > 1000 {
		return 0, false
	}
	return q, true
}
