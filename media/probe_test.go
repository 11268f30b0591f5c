package media

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestParseProbe(t *testing.T) {
	tests := []struct {
		name string
		json string
		want Probe
		err  error
	}{
		{"portrait phone (display matrix)",
			`{"streams":[{"codec_type":"video","codec_name":"hevc","width":1920,"height":1080,"side_data_list":[{"rotation":-90}]},{"codec_type":"audio","codec_name":"aac"}],"format":{"duration":"12.345678"}}`,
			Probe{Duration: 12346 * time.Millisecond, Width: 1080, Height: 1920, Rotation: 90, VideoCodec: "hevc", AudioCodec: "aac"}, nil},
		{"rotate tag, upside down",
			`{"streams":[{"codec_type":"video","codec_name":"h264","width":640,"height":360,"tags":{"rotate":"180"}}],"format":{"duration":"1"}}`,
			Probe{Duration: time.Second, Width: 640, Height: 360, Rotation: 180, VideoCodec: "h264"}, nil},
		{"rotation 90 counter-clockwise",
			`{"streams":[{"codec_type":"video","codec_name":"h264","width":640,"height":360,"side_data_list":[{"displaymatrix":"x"},{"rotation":90}]}],"format":{}}`,
			Probe{Width: 360, Height: 640, Rotation: 270, VideoCodec: "h264"}, nil},
		{"cover art first, subtitles",
			`{"streams":[{"codec_type":"video","codec_name":"mjpeg","width":300,"height":300},{"codec_type":"video","codec_name":"vp9","width":320,"height":240},{"codec_type":"subtitle","codec_name":"mov_text"}],"format":{"duration":"N/A"}}`,
			Probe{Width: 320, Height: 240, VideoCodec: "vp9", Subtitles: []string{"mov_text"}}, nil},
		{"audio only", `{"streams":[{"codec_type":"audio","codec_name":"mp3"}],"format":{"duration":"3"}}`, Probe{}, ErrUnreadable},
		{"zero size", `{"streams":[{"codec_type":"video","codec_name":"h264","width":0,"height":0}]}`, Probe{}, ErrUnreadable},
		{"huge size", `{"streams":[{"codec_type":"video","codec_name":"h264","width":100000,"height":10}]}`, Probe{}, ErrUnreadable},
		{"not json", `ffprobe: error`, Probe{}, ErrUnreadable},
		{"negative duration", `{"streams":[{"codec_type":"video","codec_name":"h264","width":2,"height":2}],"format":{"duration":"-5"}}`,
			Probe{Width: 2, Height: 2, VideoCodec: "h264"}, nil},
	}
	for _, tt := range tests {
		got, err := ParseProbe([]byte(tt.json))
		if !errors.Is(err, tt.err) {
			t.Errorf("ParseProbe(%s) err = %v, want %v", tt.name, err, tt.err)
			continue
		}
		if err == nil && !probeEqual(got, tt.want) {
			t.Errorf("ParseProbe(%s) = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func probeEqual(a, b Probe) bool {
	return slices.Equal(a.Subtitles, b.Subtitles) && a.Duration == b.Duration && a.Width == b.Width &&
		a.Height == b.Height && a.Rotation == b.Rotation && a.VideoCodec == b.VideoCodec && a.AudioCodec == b.AudioCodec
}

// FuzzParseProbe checks that ParseProbe never panics and that whatever it
// accepts is a sane video: positive bounded sides, a quarter-turn
// rotation, a non-negative duration.
func FuzzParseProbe(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseProbe(b)
		if err != nil {
			if !errors.Is(err, ErrUnreadable) {
				t.Fatalf("ParseProbe(%q) err = %v, not ErrUnreadable", b, err)
			}
			return
		}
		if p.Width <= 0 || p.Height <= 0 || p.Width > maxDimension || p.Height > maxDimension {
			t.Fatalf("ParseProbe(%q) size %dx%d", b, p.Width, p.Height)
		}
		if p.Rotation%90 != 0 || p.Rotation < 0 || p.Rotation >= 360 || p.Duration < 0 {
			t.Fatalf("ParseProbe(%q) rotation %d duration %v", b, p.Rotation, p.Duration)
		}
	})
}
