package gssapi

// seqWindow tracks the sequence numbers received, RFC 4121 §4.2.6 with
// RFC 2743 §1.2.3's replay and out-of-sequence detection: next is the
// number expected, and bit i of seen is set when next-1-i has arrived,
// for the windowSize numbers before next.
type seqWindow struct {
	replay, sequence bool
	next             uint64
	seen             uint64
}

const windowSize = 64

// check decides whether seq may be accepted and, if so, records it.
//
//   - seq == next: in order, accepted.
//   - seq > next: a gap (a token was lost or is late); accepted, and the
//     window moves on.
//   - seq < next, already seen: ErrReplay (when replay or sequence
//     detection is on).
//   - seq < next, not seen, inside the window: late. Accepted with replay
//     detection alone; ErrOutOfOrder with sequencing.
//   - seq older than the window: ErrOutOfOrder, since it can no longer be
//     told apart from a replay.
//
// With neither flag every token is accepted.
func (w *seqWindow) check(seq uint64) error {
	const op = "unwrap"
	if !w.replay && !w.sequence {
		return nil
	}
	if seq >= w.next {
		shift := seq - w.next + 1
		if shift >= windowSize {
			w.seen = 0
		} else {
			w.seen <<= shift
		}
		w.seen |= 1
		w.next = seq + 1
		return nil
	}
	age := w.next - 1 - seq
	if age >= windowSize {
		return errorf(op, ErrOutOfOrder, "sequence number %d is older than the %d-token window", seq, windowSize)
	}
	if w.seen&(1<<age) != 0 {
		return errorf(op, ErrReplay, "sequence number %d seen before", seq)
	}
	if w.sequence {
		return errorf(op, ErrOutOfOrder, "sequence number %d arrived after %d", seq, w.next-1)
	}
	w.seen |= 1 << age
	return nil
}
