package memstore

import "fmt"

// SetLike records that user by likes (on) or no longer likes vlog vlogID.
// Setting the state it already has changes nothing; that makes a double
// click harmless. ErrNotFound when the vlog does not exist.
func (s *Store) SetLike(vlogID, by uint64, on bool) error {
	if _, err := s.Vlog(vlogID); err != nil {
		return err
	}
	if s.Liked(vlogID, by) == on {
		return nil
	}
	_, err := s.commit(&op{Kind: opSetLike, At: s.now().UTC(), ID: vlogID, UserID: by, Like: on})
	return err
}

// Liked reports whether user by likes vlog vlogID.
func (s *Store) Liked(vlogID, by uint64) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.likes[vlogID][by]
}

// LikeCount returns how many users like vlog vlogID.
func (s *Store) LikeCount(vlogID uint64) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.st.likes[vlogID])
}

func (st *state) setLike(o *op) result {
	if _, ok := st.vlogs[o.ID]; !ok {
		return result{err: fmt.Errorf("vlog %d: %w", o.ID, ErrNotFound)}
	}
	if _, ok := st.users[o.UserID]; !ok {
		return result{err: fmt.Errorf("user %d: %w", o.UserID, ErrNotFound)}
	}
	st.putLike(o.ID, o.UserID, o.Like)
	return result{}
}

func (st *state) putLike(vlogID, userID uint64, on bool) {
	users := st.likes[vlogID]
	switch {
	case on && users == nil:
		st.likes[vlogID] = map[uint64]bool{userID: true}
	case on:
		users[userID] = true
	default:
		delete(users, userID)
		if len(users) == 0 {
			delete(st.likes, vlogID)
		}
	}
}
