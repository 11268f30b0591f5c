package httpraw

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

func TestParseForm(t *testing.T) {
	r := testRequestRaw("POST /vlogs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded; charset=UTF-8\r\nContent-Length: 29\r\n\r\ntitle=Hello+world&body=a%26b\n")
	f, err := r.ParseForm()
	if err != nil {
		t.Fatal(err)
	}
	if f.Get("title") != "Hello world" || f.Get("body") != "a&b\n" {
		t.Errorf("ParseForm = %v", f)
	}
	if again, err := r.ParseForm(); err != nil || again.Get("title") != "Hello world" {
		t.Errorf("second ParseForm = %v, %v", again, err)
	}

	for _, tc := range []struct {
		raw  string
		want error
	}{
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\na=b", ErrUnsupportedMediaType},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\na=b", ErrUnsupportedMediaType},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 3\r\n\r\na=b", ErrUnsupportedMediaType},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 2000000\r\n\r\n", ErrBodyTooLarge},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", ErrMalformedBody},
		{formRequest("body=%zz"), ErrMalformedForm},
		{formRequest("a=1;b=2"), ErrMalformedForm},
		{formRequest("title=x&body=%e"), ErrMalformedForm},
		{formRequest(strings.Repeat("a=1&", MaxFormFields) + "a=1"), ErrMalformedForm},
	} {
		r := testRequestRaw(tc.raw)
		if _, err := r.ParseForm(); !errors.Is(err, tc.want) {
			t.Errorf("ParseForm(%q) err = %v, want %v", tc.raw, err, tc.want)
		}
	}
}

func formRequest(body string) string {
	return "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

// Exactly MaxFormFields fields are accepted.
func TestParseFormFieldLimit(t *testing.T) {
	r := testRequestRaw(formRequest(strings.Repeat("a=1&", MaxFormFields-1) + "a=1"))
	f, err := r.ParseForm()
	if err != nil || len(f["a"]) != MaxFormFields {
		t.Fatalf("ParseForm of %d fields: %d values, %v", MaxFormFields, len(f["a"]), err)
	}
}

// The limit is enforced on the declared length before the body is read:
// with Expect: 100-continue, no 100 Continue may be sent.
func TestParseFormLimitBeforeReading(t *testing.T) {
	c := newTestConn("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n" + strings.Repeat("a", 100))
	r, err := c.readRequest()
	if err != nil {
		t.Fatal(err)
	}
	r.SetBodyLimit(10)
	buffered := c.br.Buffered()
	if _, err := r.ParseForm(); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("err = %v, want ErrBodyTooLarge", err)
	}
	if c.body.read != 0 || c.br.Buffered() != buffered {
		t.Errorf("body was read: %d bytes", c.body.read)
	}
}

func TestSetBodyLimit(t *testing.T) {
	raw := "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"
	for _, tc := range []struct {
		limit int64
		want  string
		err   error
	}{
		{-1, "helloworld", nil},
		{10, "helloworld", nil},
		{9, "helloworl", ErrBodyTooLarge},
		{0, "", ErrBodyTooLarge},
	} {
		r := testRequestRaw(raw)
		r.SetBodyLimit(tc.limit)
		b, err := io.ReadAll(r.Body)
		if string(b) != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("limit %d: %q, %v; want %q, %v", tc.limit, b, err, tc.want, tc.err)
		}
	}
}

func TestMultipartReader(t *testing.T) {
	body := "--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHi\r\n" +
		"--XyZ\r\nContent-Disposition: form-data; name=\"video\"; filename=\"a.mp4\"\r\nContent-Type: video/mp4\r\n\r\nDATA\r\n--XyZ--\r\n"
	r := testRequestRaw("POST /up HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	mr, err := r.MultipartReader()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		got = append(got, p.FormName()+"="+string(b)+"|"+p.FileName())
	}
	if strings.Join(got, ",") != "title=Hi|,video=DATA|a.mp4" {
		t.Errorf("parts = %v", got)
	}
	r = testRequestRaw("POST /up HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data\r\nContent-Length: 0\r\n\r\n")
	if _, err := r.MultipartReader(); !errors.Is(err, ErrUnsupportedMediaType) {
		t.Errorf("no boundary: err = %v", err)
	}
}
