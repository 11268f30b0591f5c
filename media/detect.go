package media

import (
	"bytes"
	"encoding/binary"
)

// The media types DetectType reports.
const (
	TypeMP4      = "video/mp4"
	TypeWebM     = "video/webm"
	TypeMatroska = "video/x-matroska" // reported so callers can name it; not a browser format
	TypeJPEG     = "image/jpeg"
	TypePNG      = "image/png"
)

// DetectType decides a media type from the leading bytes of a file. It
// needs the first 64 bytes to decide reliably and looks at more when given
// (Put and Stat pass 512). It returns one of TypeMP4, TypeWebM,
// TypeMatroska, TypeJPEG, TypePNG, or "" when the bytes are none of these:
// HTML renamed to .mp4 is "". It never reads past head and never panics.
func DetectType(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return TypeJPEG // JPEG: SOI marker followed by another marker
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return TypePNG
	case bytes.HasPrefix(head, ebmlMagic):
		return detectEBML(head)
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		return detectISOBMFF(head)
	}
	return ""
}

// mp4Brands are ftyp brands (ISO/IEC 14496-12 and -14, and the common
// vendor ones) under which a browser plays the file as video/mp4.
var mp4Brands = map[string]bool{
	"isom": true, "iso2": true, "iso3": true, "iso4": true, "iso5": true,
	"iso6": true, "iso7": true, "iso8": true, "iso9": true,
	"mp41": true, "mp42": true, "mp71": true, "avc1": true, "av01": true,
	"dash": true, "msdh": true, "msix": true, "cmfc": true,
	"M4V ": true, "M4VH": true, "M4VP": true, "MSNV": true, "f4v ": true,
}

// imageBrands are ISO BMFF still-image formats (HEIF, AVIF). They may list
// a generic brand among their compatible brands but are not video.
var imageBrands = map[string]bool{
	"mif1": true, "msf1": true, "heic": true, "heix": true, "heim": true,
	"heis": true, "hevc": true, "hevx": true, "avif": true, "avis": true,
}

// detectISOBMFF checks an ISO base media file (ISO/IEC 14496-12 §4.3): the
// file starts with a FileTypeBox, size(4) "ftyp" major_brand(4)
// minor_version(4) compatible_brands(4*n).
func detectISOBMFF(head []byte) string {
	size := binary.BigEndian.Uint32(head[0:4])
	// A sane ftyp: at least major brand and minor version, whole brands,
	// and small. Size 0 ("to end of file") and 1 (64-bit size) make no
	// sense for ftyp and are refused.
	if size < 16 || size > 4096 || (size-16)%4 != 0 {
		return ""
	}
	major := string(head[8:12])
	if mp4Brands[major] {
		return TypeMP4
	}
	if imageBrands[major] {
		return ""
	}
	// An unfamiliar major brand: accept when a compatible brand (within
	// the box and within head) is one of ours.
	end := min(int(size), len(head))
	for i := 16; i+4 <= end; i += 4 {
		if mp4Brands[string(head[i:i+4])] {
			return TypeMP4
		}
	}
	return ""
}

var ebmlMagic = []byte{0x1A, 0x45, 0xDF, 0xA3}

// EBML element IDs (RFC 8794 §11.2).
const (
	idDocType = 0x4282
)

// detectEBML reads the EBML header (RFC 8794 §11.2) that starts a WebM or
// Matroska file and returns by its DocType: "webm" → TypeWebM, "matroska" →
// TypeMatroska, anything else or no DocType within head → "".
func detectEBML(head []byte) string {
	p := head[len(ebmlMagic):]
	size, n, ok := readVint(p, false)
	if !ok {
		return ""
	}
	p = p[n:]
	if size < uint64(len(p)) { // an unknown size (all ones) is bounded by head
		p = p[:size]
	}
	for len(p) > 0 {
		id, n, ok := readVint(p, true)
		if !ok {
			return ""
		}
		p = p[n:]
		size, n, ok := readVint(p, false)
		if !ok {
			return ""
		}
		p = p[n:]
		if size > uint64(len(p)) {
			return "" // element runs past head (or has unknown size)
		}
		if id == idDocType {
			// RFC 8794 §7.4: a string may be padded with trailing NULs.
			switch string(bytes.TrimRight(p[:size], "\x00")) {
			case "webm":
				return TypeWebM
			case "matroska":
				return TypeMatroska
			}
			return ""
		}
		p = p[size:]
	}
	return ""
}

// readVint decodes an EBML variable-size integer (RFC 8794 §4): the number
// of leading zero bits of the first byte gives the length, 1 to 8 bytes.
// IDs keep their length marker bit; data sizes drop it. n is the bytes used.
func readVint(p []byte, keepMarker bool) (v uint64, n int, ok bool) {
	if len(p) == 0 || p[0] == 0 {
		return 0, 0, false // empty, or a length of more than 8 bytes
	}
	n = 1
	for mask := byte(0x80); p[0]&mask == 0; mask >>= 1 {
		n++
	}
	if len(p) < n {
		return 0, 0, false
	}
	v = uint64(p[0])
	if !keepMarker {
		v &= uint64(0xFF >> n)
	}
	for _, c := range p[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n, true
}
