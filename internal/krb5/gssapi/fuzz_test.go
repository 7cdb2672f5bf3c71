package gssapi

import (
	"bytes"
	"errors"
	"testing"
)

// fuzzPair is an established context pair with neither replay nor
// sequence detection, so that a seed token stays acceptable however often
// the fuzzer replays it.
func fuzzPair(f *testing.F) (*Initiator, *Acceptor) {
	ft := issue(f, nil)
	ic := initiatorConfig(ft)
	ic.Flags = FlagMutual | FlagConf | FlagInteg
	return handshake(f, ic, acceptorConfig(ft))
}

func FuzzInitialContextToken(f *testing.F) {
	ft := issue(f, nil)
	for _, flags := range []Flags{0, FlagMutual | FlagReplay | FlagSequence | FlagConf | FlagInteg} {
		ic := initiatorConfig(ft)
		ic.Flags = flags
		ic.ChannelBindings = []byte("tls-server-end-point:x")
		ini, err := NewInitiator(ic)
		if err != nil {
			f.Fatal(err)
		}
		tok, _, err := ini.Step(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
	}
	f.Add([]byte{0x60, 0x00})
	f.Fuzz(func(t *testing.T, tok []byte) {
		id, m, err := ParseFrame(tok)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		if again := FrameToken(id, m); !bytes.Equal(again, tok) {
			t.Fatalf("framing does not round-trip:\n%x\n%x", tok, again)
		}
		req, err := ParseAPReqToken(tok)
		if err != nil {
			return
		}
		b, err := req.Marshal()
		if err != nil {
			return // a value the lenient decoder took but DER cannot carry
		}
		req2, err := ParseAPReqToken(FrameToken(TokIDAPReq, b))
		if err != nil {
			t.Fatalf("re-encoded AP-REQ does not decode: %v", err)
		}
		if b2, _ := req2.Marshal(); !bytes.Equal(b, b2) {
			t.Fatal("AP-REQ encoding is not stable")
		}
		// The acceptor must fail cleanly on whatever decodes.
		acc, _ := NewAcceptor(acceptorConfig(ft))
		acc.Step(tok)
	})
}

func FuzzAPRepToken(f *testing.F) {
	ft := issue(f, nil)
	ini, _ := NewInitiator(initiatorConfig(ft))
	tok, _, _ := ini.Step(nil)
	acc, _ := NewAcceptor(acceptorConfig(ft))
	rep, _, err := acc.Step(tok)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(rep)
	f.Add(FrameToken(TokIDKRBError, []byte{0x7e, 0x00}))
	f.Fuzz(func(t *testing.T, tok []byte) {
		r, err := ParseAPRepToken(tok)
		if err != nil {
			return
		}
		b, err := r.Marshal()
		if err != nil {
			return
		}
		r2, err := ParseAPRepToken(FrameToken(TokIDAPRep, b))
		if err != nil {
			t.Fatalf("re-encoded AP-REP does not decode: %v", err)
		}
		if b2, _ := r2.Marshal(); !bytes.Equal(b, b2) {
			t.Fatal("AP-REP encoding is not stable")
		}
		ini, _ := NewInitiator(initiatorConfig(ft))
		ini.Step(nil)
		ini.Step(tok)
	})
}

func FuzzWrapToken(f *testing.F) {
	ini, acc := fuzzPair(f)
	for _, rrc := range []uint16{0, 28} {
		ini.SetWrapRRC(rrc)
		for _, conf := range []bool{true, false} {
			for _, pt := range [][]byte{nil, []byte("hello, acceptor")} {
				tok, err := ini.Wrap(pt, conf)
				if err != nil {
					f.Fatal(err)
				}
				f.Add(tok)
			}
		}
	}
	f.Fuzz(func(t *testing.T, tok []byte) {
		hdr, body, err := parseWrapHeader(tok)
		if err != nil {
			return
		}
		if !bytes.Equal(append(append([]byte(nil), hdr...), body...), tok) {
			t.Fatal("header and body do not make the token")
		}
		pt, conf, err := acc.Unwrap(tok)
		if err != nil {
			if pt != nil {
				t.Fatal("plaintext returned with an error")
			}
			return
		}
		if conf != (tok[2]&tokFlagSealed != 0) {
			t.Fatal("conf does not match the Sealed flag")
		}
		if len(pt) > len(tok) {
			t.Fatal("plaintext longer than the token")
		}
	})
}

func FuzzMICToken(f *testing.F) {
	ini, acc := fuzzPair(f)
	for _, m := range []string{"", "mechListMIC"} {
		tok, err := ini.MIC([]byte(m))
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(m), tok)
	}
	f.Fuzz(func(t *testing.T, m, tok []byte) {
		hdr, sum, err := parseMICHeader(tok)
		if err != nil {
			return
		}
		if len(hdr) != tokHeaderLen || len(hdr)+len(sum) != len(tok) {
			t.Fatal("header and checksum do not make the token")
		}
		if err := acc.VerifyMIC(m, tok); err == nil {
			// Accepted: the same token must fail over another message.
			if acc.VerifyMIC(append(m, 0), tok) == nil {
				t.Fatal("MIC verified over two messages")
			}
		}
	})
}
