package media

import (
	"context"
	"syscall"
	"testing"
	"time"

	"vlogd/internal/testclip"
)

// BenchmarkTranscodeThroughput converts a 4-second 640x360 H.264 + AAC
// Matroska clip to its web rendition, as a job does, and reports seconds
// of video converted per second of CPU that ffmpeg used (user + system,
// from the children's rusage), and per second of wall time.
//
//	go test ./media -run '^$' -bench TranscodeThroughput -benchtime 5x
func BenchmarkTranscodeThroughput(b *testing.B) {
	const seconds = 4
	s := mustOpenStore(b)
	src := putFile(b, s, testclip.Make(b, testclip.Clip{Name: "bench.mkv", Format: "matroska", Video: "libx264", Audio: "aac",
		Width: 640, Height: 360, Seconds: seconds, Rate: 30}))
	var before, after syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &before); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := s.Transcode(context.Background(), src.Hash, Rendition{Short: 1080, Limit: 1 << 30}, nil); err != nil {
			b.Fatal(err)
		}
	}
	wall := time.Since(start)
	b.StopTimer()
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &after); err != nil {
		b.Fatal(err)
	}
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) * time.Nanosecond
	video := float64(seconds * b.N)
	b.ReportMetric(video/cpu.Seconds(), "video-s/cpu-s")
	b.ReportMetric(video/wall.Seconds(), "video-s/s")
}
