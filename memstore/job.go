package memstore

import (
	"errors"
	"fmt"
)

// JobState is where a video's transcoding job stands. It is part of the
// video, so it is logged and snapshotted like every other change, and a
// restart finds every unfinished job (Invariant 1: an acknowledged upload
// is never lost, and neither is the work still owed on it).
type JobState string

const (
	// JobNone: no job; the original is played as uploaded (an MP4 or
	// WebM stored while transcoding was off, or before it existed).
	JobNone JobState = ""
	// JobQueued: waiting for a worker.
	JobQueued JobState = "queued"
	// JobProcessing: ffmpeg is making the renditions; Percent says how far.
	JobProcessing JobState = "processing"
	// JobReady: Renditions are made; pages play them.
	JobReady JobState = "ready"
	// JobFailed: given up; Failure says why. Pages play the original if a
	// browser can.
	JobFailed JobState = "failed"
)

// Unfinished reports whether a worker still owes this video its renditions.
func (j JobState) Unfinished() bool { return j == JobQueued || j == JobProcessing }

// videoOp applies change to a copy of vlog o.ID's video, but only while the
// vlog still shows the video o.Hash: a job's record that arrives after the
// video was replaced, removed or its vlog deleted changes nothing
// (ErrNotFound), live and on replay alike.
func (st *state) videoOp(o *op, change func(*Video) error) result {
	old, ok := st.vlogs[o.ID]
	if !ok || old.Video == nil || old.Video.Hash != o.Hash {
		return result{err: fmt.Errorf("vlog %d video %.12s: %w", o.ID, o.Hash, ErrNotFound)}
	}
	v, video := *old, *old.Video
	if err := change(&video); err != nil {
		return result{err: err}
	}
	v.Video = &video
	st.replaceVlog(&v)
	return result{vlog: &v}
}

// errJobState is returned by a job op that does not fit the job's state
// (a duplicate after a crash, say); it changes nothing.
var errJobState = errors.New("memstore: job is not in that state")

// jobStart marks a job processing and counts the attempt.
func (st *state) jobStart(o *op) result {
	return st.videoOp(o, func(v *Video) error {
		if !v.Job.Unfinished() {
			return errJobState
		}
		v.Job, v.Percent, v.Attempts = JobProcessing, 0, v.Attempts+1
		return nil
	})
}

// jobProgress records how far a running job is.
func (st *state) jobProgress(o *op) result {
	return st.videoOp(o, func(v *Video) error {
		if v.Job != JobProcessing {
			return errJobState
		}
		v.Percent = min(max(o.Percent, 0), 99)
		return nil
	})
}

// jobDone records the renditions and makes the video ready.
func (st *state) jobDone(o *op) result {
	return st.videoOp(o, func(v *Video) error {
		if !v.Job.Unfinished() {
			return errJobState
		}
		v.Job, v.Percent, v.Failure, v.Renditions = JobReady, 100, "", o.Renditions
		return nil
	})
}

// jobFail records a failed attempt: back in the queue when o.Retry, else
// failed for good with o.Reason.
func (st *state) jobFail(o *op) result {
	return st.videoOp(o, func(v *Video) error {
		if !v.Job.Unfinished() {
			return errJobState
		}
		v.Percent, v.Failure = 0, o.Reason
		v.Job = JobFailed
		if o.Retry {
			v.Job = JobQueued
		}
		return nil
	})
}
