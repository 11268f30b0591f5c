package media

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"net/http"
	"testing"
)

// ebmlHeader builds an EBML header (RFC 8794) with the given DocType, then
// the start of a Segment, as a WebM or Matroska muxer writes it.
func ebmlHeader(docType string) []byte {
	var body []byte
	el := func(id []byte, data []byte) {
		body = append(body, id...)
		body = append(body, 0x80|byte(len(data)))
		body = append(body, data...)
	}
	el([]byte{0x42, 0x86}, []byte{1}) // EBMLVersion
	el([]byte{0x42, 0xF7}, []byte{1}) // EBMLReadVersion
	el([]byte{0x42, 0xF2}, []byte{4}) // EBMLMaxIDLength
	el([]byte{0x42, 0xF3}, []byte{8}) // EBMLMaxSizeLength
	if docType != "" {
		el([]byte{0x42, 0x82}, []byte(docType))
	}
	el([]byte{0x42, 0x87}, []byte{4}) // DocTypeVersion
	el([]byte{0x42, 0x85}, []byte{2}) // DocTypeReadVersion
	out := append([]byte{0x1A, 0x45, 0xDF, 0xA3, 0x80 | byte(len(body))}, body...)
	return append(out, 0x18, 0x53, 0x80, 0x67, 0x01, 0, 0, 0, 0, 0, 0x10, 0)
}

// ftyp builds an ISO BMFF FileTypeBox followed by a free box.
func ftyp(major string, compatible ...string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(16+4*len(compatible)))
	b = append(b, "ftyp"+major+"\x00\x00\x02\x00"...)
	for _, c := range compatible {
		b = append(b, c...)
	}
	return append(b, "\x00\x00\x00\x08free"...)
}

func withSize(b []byte, size uint32) []byte {
	b = bytes.Clone(b)
	binary.BigEndian.PutUint32(b, size)
	return b
}

func TestDetectType(t *testing.T) {
	mp4 := mustReadFixture(t, "clip.mp4")
	webm := mustReadFixture(t, "clip.webm")
	random := make([]byte, 4096)
	rand.NewChaCha8([32]byte{1, 2}).Read(random)
	nulPadded := ebmlHeader("webm\x00\x00")

	tests := []struct {
		name string
		head []byte
		want string
	}{
		{"clip.mp4", mp4, TypeMP4},
		{"clip.mp4 first 64 bytes", mp4[:64], TypeMP4},
		{"clip.mp4 first 12 bytes", mp4[:12], TypeMP4},
		{"clip.mp4 truncated to 11", mp4[:11], ""},
		{"clip.mp4 truncated to 8", mp4[:8], ""},
		{"clip.webm", webm, TypeWebM},
		{"clip.webm first 64 bytes", webm[:64], TypeWebM},
		{"clip.webm truncated in DocType", webm[:0x1a], ""},
		{"clip.webm magic only", webm[:4], ""},
		{"disguised.mp4 (HTML)", mustReadFixture(t, "disguised.mp4"), ""},
		{"html", []byte("<html><body>hi</body></html>"), ""},
		{"empty", nil, ""},
		{"random bytes", random, ""},
		{"zeros", make([]byte, 512), ""},

		{"webm header", ebmlHeader("webm"), TypeWebM},
		{"webm, DocType NUL-padded", nulPadded, TypeWebM},
		{"matroska is not webm", ebmlHeader("matroska"), TypeMatroska},
		{"other EBML DocType", ebmlHeader("webmx"), ""},
		{"EBML without DocType", ebmlHeader(""), ""},
		{"webm, 8-byte header size", []byte("\x1a\x45\xdf\xa3\x01\x00\x00\x00\x00\x00\x00\x07\x42\x82\x84webm"), TypeWebM},
		{"EBML, 9-byte vint", []byte("\x1a\x45\xdf\xa3\x00\x00\x00\x00\x00\x00\x00\x00\x07\x42\x82\x84webm"), ""},
		{"EBML header size past head", ebmlHeader("webm")[:4], ""},

		{"ftyp isom", ftyp("isom", "isom", "iso2", "avc1", "mp41"), TypeMP4},
		{"ftyp mp42", ftyp("mp42", "mp42", "isom"), TypeMP4},
		{"ftyp M4V", ftyp("M4V ", "M4V ", "M4A ", "mp42", "isom"), TypeMP4},
		{"ftyp iso5 dash", ftyp("iso5", "iso6", "dash"), TypeMP4},
		{"ftyp unknown major, mp41 compatible", ftyp("XAVC", "XAVC", "mp41"), TypeMP4},
		{"ftyp QuickTime", ftyp("qt  ", "qt  "), TypeQuickTime},
		{"ftyp HEIC image", ftyp("heic", "mif1", "heic", "iso8"), ""},
		{"ftyp AVIF image", ftyp("avif", "avif", "mif1", "miaf", "iso8"), ""},
		{"ftyp 3GP", ftyp("3gp4", "3gp4"), TypeThreeGPP},
		{"ftyp 3GPP2", ftyp("3g2a", "3g2a"), TypeThreeGPP},
		{"ftyp size 0", withSize(ftyp("isom"), 0), ""},
		{"ftyp size 1 (64-bit)", withSize(ftyp("isom"), 1), ""},
		{"ftyp size 12 (no minor version)", withSize(ftyp("isom"), 12), ""},
		{"ftyp size 18 (half a brand)", withSize(ftyp("isom", "mp41"), 18), ""},
		{"ftyp size 1 MiB", withSize(ftyp("isom"), 1<<20), ""},
		{"moov first, no ftyp", []byte("\x00\x00\x00\x10moov\x00\x00\x00\x08mvhd"), TypeQuickTime},
		{"mdat first, 64-bit size", []byte("\x00\x00\x00\x01mdat\x00\x00\x00\x00\x00\x01\x00\x00"), TypeQuickTime},
		{"wide atom", []byte("\x00\x00\x00\x08wide\x00\x00\x10\x00mdat"), TypeQuickTime},
		{"moov with size 4", []byte("\x00\x00\x00\x04moov\x00\x00\x00\x08mvhd"), ""},
		{"free atom alone", []byte("\x00\x00\x00\x08free\x00\x00\x00\x08"), ""},

		{"avi", []byte("RIFF\x24\x00\x00\x00AVI LIST"), TypeAVI},
		{"RIFF truncated", []byte("RIFF\x24\x00\x00\x00AV"), ""},
		{"RIFF, moov as its size", []byte("RIFFmoov"), ""},
		{"transport stream", tsPackets(0, 188, 3), TypeMPEGTS},
		{"transport stream, 2 packets", tsPackets(0, 188, 2), ""},
		{"m2ts with timestamps", tsPackets(4, 192, 3), TypeMPEGTS},
		{"one sync byte", append([]byte{0x47}, make([]byte, 600)...), ""},

		{"jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), TypeJPEG},
		{"jpeg, 3 bytes", []byte("\xff\xd8\xff"), TypeJPEG},
		{"not jpeg", []byte("\xff\xd8\x00"), ""},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), TypePNG},
		{"png truncated", []byte("\x89PNG\r\n\x1a"), ""},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), ""},
		{"webp", []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), ""},
		{"mp3 with ID3", []byte("ID3\x04\x00\x00\x00\x00\x00\x00"), ""},
		{"pdf", []byte("%PDF-1.7\n"), ""},
	}
	for _, tt := range tests {
		if got := DetectType(tt.head); got != tt.want {
			t.Errorf("DetectType(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

var detectedTypes = map[string]bool{"": true, TypeMP4: true, TypeWebM: true, TypeMatroska: true, TypeJPEG: true, TypePNG: true,
	TypeQuickTime: true, TypeThreeGPP: true, TypeAVI: true, TypeMPEGTS: true}

// tsPackets builds n transport stream packets of stride bytes whose sync
// byte is at first within each, the rest zero.
func tsPackets(first, stride, n int) []byte {
	b := make([]byte, stride*n)
	for i := range n {
		b[first+i*stride] = 0x47
	}
	return b
}

// FuzzDetectType checks that DetectType never panics, only says what it
// documents, decides from a prefix for good (more bytes never change a
// decided type), and agrees with net/http's sniffer on the image formats.
func FuzzDetectType(f *testing.F) {
	f.Fuzz(func(t *testing.T, head []byte) {
		got := DetectType(head)
		if !detectedTypes[got] {
			t.Fatalf("DetectType(%q) = %q, not a documented result", head, got)
		}
		if got == "" {
			return
		}
		for _, more := range [][]byte{{0}, bytes.Repeat([]byte{0xff}, 600), head} {
			if longer := DetectType(append(bytes.Clone(head), more...)); longer != got {
				t.Fatalf("DetectType(%q) = %q, but with %d more bytes %q", head, got, len(more), longer)
			}
		}
		if got == TypeJPEG || got == TypePNG {
			if std := http.DetectContentType(head); std != got {
				t.Fatalf("DetectType(%q) = %q, net/http says %q", head, got, std)
			}
		}
	})
}
